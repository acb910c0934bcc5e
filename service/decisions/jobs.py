"""``triage_tip``: decide, store the decision, route a confident one. Idempotent per input.

The jobs running at once in a worker are decided together, in one transaction per batch
(``service.decisions.batch``, the only way a tip is decided); that transaction also marks their
outbox entries complete. A batch that fails is run again one tip per transaction, each tip a
batch of one, so that one bad tip fails only its own job.

``triage_bundled`` triages an SMS/WhatsApp tip once the reporter has stopped typing.

People split one account over several texts. Each text's job waits until the bundling window
has passed since that text (arq's ``Retry`` with a delay: no worker slot is held meanwhile);
a job whose text was followed by another within the window leaves the triage to the later
text's job, which then reads them all. A burst of texts is thus triaged once, as one message.

A job that triages joins the worker's triage batch, which marks its outbox entry complete with
the decision; one that does not marks it itself.
"""

from __future__ import annotations

import functools
import uuid
import weakref
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import structlog
from arq.worker import Retry
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from service.background.backends import InProcessQueue
from service.background.outbox import complete_job
from service.core.batching import MicroBatcher
from service.core.db import transaction
from service.core.job_names import JobName
from service.core.metrics import JOB_DURATION
from service.core.outage import database_unreachable
from service.decisions.batch import TriageRequest, triage_batch
from service.models import Message, Tip
from service.models.types import utcnow
from service.runtime import Runtime, runtime_of

log = structlog.get_logger(__name__)

# arq starts jobs one by one, and few while a batch runs: waiting only a few milliseconds gave
# batches of about 5 tips on the pipeline bench, 25-35 ms each, against about 150 ms for 120.
# A batch waits up to 200 ms for more jobs, unless none came for 5 ms (light load: a tip is not
# held for nothing); a full batch starts at once. The in-process queue runs one job at a time:
# nothing to wait for there.
BATCH_WINDOW_SECONDS = 0.2
BATCH_QUIET_SECONDS = 0.005
BATCH_MAX_TIPS = 200
# Two batches at once: one decides (CPU) while the other waits for PostgreSQL. Their tips are
# disjoint and locked in id order, as two workers' batches are.
BATCHES_IN_FLIGHT = 2


async def triage_tip(ctx: dict[str, Any], tip_id: str) -> str:
    runtime = runtime_of(ctx)
    request = TriageRequest(tip_id=tip_id, job_key=ctx.get("job_id"))
    with JOB_DURATION.labels(job=JobName.TRIAGE_TIP).time():
        outcome = await triage_batcher(runtime).submit(request)
    log.debug("tip_triaged", outcome=outcome)  # a line per tip; the metrics count them
    return outcome


# Each process's batcher, made on first use and closed with its runtime.
_batchers: weakref.WeakKeyDictionary[Runtime, MicroBatcher[TriageRequest, str]] = (
    weakref.WeakKeyDictionary()
)


def triage_batcher(runtime: Runtime) -> MicroBatcher[TriageRequest, str]:
    """The process's batcher, made on first use."""
    batcher = _batchers.get(runtime)
    if batcher is None:
        in_process = isinstance(runtime.queue, InProcessQueue)
        batcher = _batchers[runtime] = MicroBatcher(
            run_batch=functools.partial(triage_together, runtime),
            run_one=functools.partial(triage_alone, runtime),
            is_fatal=database_unreachable,
            window=0.0 if in_process else BATCH_WINDOW_SECONDS,
            quiet=BATCH_QUIET_SECONDS,
            max_size=BATCH_MAX_TIPS,
            max_in_flight=BATCHES_IN_FLIGHT,
        )
        runtime.closers.append(batcher.close)
    return batcher


async def triage_together(runtime: Runtime, requests: Sequence[TriageRequest]) -> list[str]:
    """Several tips in one transaction, with their outbox entries."""
    async with transaction(runtime.sessions) as session:
        return await triage_batch(
            session=session,
            keyring=runtime.keyring,
            ruleset=runtime.rules.current(),
            settings=runtime.settings,
            requests=requests,
        )


async def triage_alone(runtime: Runtime, request: TriageRequest) -> str:
    """One tip as a batch of one, in its own transaction, with its outbox entry."""
    try:
        [outcome] = await triage_together(runtime, [request])
    except IntegrityError:
        # Two jobs for one tip raced (SQLite has no row locks); the loser finds the
        # winner's decision on a second pass and changes nothing.
        [outcome] = await triage_together(runtime, [request])
    return outcome


BUNDLE_MAX_TRIES = 5


async def triage_bundled(ctx: dict[str, Any], tip_id: str, message_id: str) -> str:
    runtime = runtime_of(ctx)
    async with runtime.sessions() as session:
        found = (
            await session.execute(
                select(col(Message.created_at), col(Tip.last_message_at))
                .join(Tip, col(Tip.id) == col(Message.tip_id))
                .where(col(Message.id) == uuid.UUID(message_id))
            )
        ).first()
    if found is None:
        await complete_job(runtime.sessions, ctx.get("job_id"))
        return "skipped"
    sent_at, last_message_at = found
    if last_message_at > sent_at:
        await complete_job(runtime.sessions, ctx.get("job_id"))
        return "bundled"  # a later text's own job triages the whole bundle
    wait = sent_at + timedelta(seconds=runtime.settings.sms_bundle_seconds) - utcnow()
    if wait > timedelta(0) and int(ctx.get("job_try", 1)) < BUNDLE_MAX_TRIES:
        raise Retry(defer=wait)
    return await triage_tip(ctx, tip_id)
