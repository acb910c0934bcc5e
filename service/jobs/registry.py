"""Wrapping job functions so that each marks its outbox entry complete when it has run."""

from __future__ import annotations

import functools
from typing import Any

from service.db import transaction
from service.outbox import mark_completed
from service.queue import JobFunction
from service.runtime import runtime_of


def outbox_job(job: JobFunction) -> JobFunction:
    """The queue's job id is the outbox entry's key (arq and the in-process queue alike)."""

    @functools.wraps(job)
    async def run(ctx: dict[str, Any], *args: Any) -> Any:
        result = await job(ctx, *args)
        await complete_outbox_entry(ctx)
        return result

    return run


async def complete_outbox_entry(ctx: dict[str, Any]) -> None:
    """Mark the running job's outbox entry complete, in a transaction of its own."""
    job_key = ctx.get("job_id")
    if job_key:
        async with transaction(runtime_of(ctx).sessions) as session:
            await mark_completed(session=session, job_key=job_key)
