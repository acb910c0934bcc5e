"""``apply_retention``: the periodic job that destroys identities, then content, when they expire.

An arq cron in production (hourly), a background task in embedded mode. Each page of rows is its
own transaction, and a run stops after a time budget below the worker's job timeout: the next run
carries on where this one stopped (the content still to erase, the numbers pass's cursor).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from service.core.db import forget_on_disk, transaction
from service.models.types import utcnow
from service.retention.service import (
    RetentionPage,
    RetentionPolicy,
    destroy_expired_identities,
    erase_expired_content,
)
from service.runtime import Runtime, runtime_of

log = structlog.get_logger(__name__)

# Below the worker's 60 s job timeout, so a run is never cut off half-way through a page.
BUDGET_SECONDS = 45.0
# Embedded mode: how often the background task runs it.
EVERY_SECONDS = 3600.0

Step = Callable[[AsyncSession], Awaitable[RetentionPage]]


@dataclass(frozen=True)
class RetentionTotals:
    identities_destroyed: int
    tips_erased: int


async def apply_retention(ctx: dict[str, Any]) -> str:
    totals = await run_retention(runtime_of(ctx), now=utcnow())
    log.info(
        "retention_applied",
        identities_destroyed=totals.identities_destroyed,
        tips_erased=totals.tips_erased,
    )
    return f"{totals.identities_destroyed} identities, {totals.tips_erased} tips"


async def run_retention(runtime: Runtime, *, now: datetime) -> RetentionTotals:
    """Identities first, then content, as of ``now`` (tests pass a date in the future)."""
    settings = runtime.settings
    policy = RetentionPolicy.of_days(
        identity_days=settings.retention_identity_days,
        content_days=settings.retention_content_days,
    )
    started = time.monotonic()

    async def identities(session: AsyncSession) -> RetentionPage:
        return await destroy_expired_identities(session=session, policy=policy, now=now)

    async def content(session: AsyncSession) -> RetentionPage:
        return await erase_expired_content(
            session=session, keyring=runtime.keyring, policy=policy, now=now
        )

    # Numbers first (they are what can get someone hurt), but never the whole budget: a backlog
    # of numbers must not stop content from being erased for runs on end.
    destroyed = await _every_page(runtime, identities, started + BUDGET_SECONDS * 2 / 3)
    erased = await _every_page(runtime, content, started + BUDGET_SECONDS)
    return RetentionTotals(identities_destroyed=destroyed, tips_erased=erased)


async def retain_forever(ctx: dict[str, Any]) -> None:
    """Embedded mode's schedule (no arq cron without Redis)."""
    while True:
        await asyncio.sleep(EVERY_SECONDS)
        try:
            await apply_retention(ctx)
        except (SQLAlchemyError, OSError) as error:  # the next run tries again
            log.warning("retention_failed", error=type(error).__name__)


async def _every_page(runtime: Runtime, step: Step, deadline: float) -> int:
    changed = 0
    while time.monotonic() < deadline:
        async with transaction(runtime.sessions) as session:
            page = await step(session)
        changed += page.changed
        if not page.more:
            break
    if changed:
        await forget_on_disk(runtime.sessions)
    return changed
