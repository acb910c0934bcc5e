"""``triage_tip``: decide, store the decision, route a confident one. Idempotent per input.

The jobs running at once in a worker are decided together, in one transaction per batch
(``service.triage_batch``); that transaction also marks their outbox entries complete. A batch
that fails is run again here one tip per transaction.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service import decisions
from service.batching import MicroBatcher
from service.db import transaction
from service.metrics import JOB_DURATION
from service.models import Tip, TipStatus
from service.models.types import utcnow
from service.outage import database_unreachable
from service.outbox import mark_completed
from service.queue import InProcessQueue
from service.routing import SENSITIVE_FLAGS, route_tip
from service.runtime import Runtime, runtime_of
from service.triage_batch import TriageRequest, triage_batch
from triage import Decision, TipText, decide

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
    with JOB_DURATION.labels(job="triage_tip").time():
        outcome = await triage_batcher(runtime).submit(request)
    log.debug("tip_triaged", outcome=outcome)  # a line per tip; the metrics count them
    return outcome


def triage_batcher(runtime: Runtime) -> MicroBatcher[TriageRequest, str]:
    """The process's batcher, made on first use."""
    if runtime.triage_batcher is None:
        in_process = isinstance(runtime.queue, InProcessQueue)
        runtime.triage_batcher = MicroBatcher(
            run_batch=functools.partial(triage_together, runtime),
            run_one=functools.partial(triage_alone, runtime),
            is_fatal=database_unreachable,
            window=0.0 if in_process else BATCH_WINDOW_SECONDS,
            quiet=BATCH_QUIET_SECONDS,
            max_size=BATCH_MAX_TIPS,
            max_in_flight=BATCHES_IN_FLIGHT,
        )
    return runtime.triage_batcher


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
    """One tip in its own transaction, with its outbox entry."""
    try:
        return await _triage_once(runtime, request)
    except IntegrityError:
        # Two jobs for one tip raced (SQLite has no row locks); the loser finds the
        # winner's decision on a second pass and changes nothing.
        return await _triage_once(runtime, request)


async def _triage_once(runtime: Runtime, request: TriageRequest) -> str:
    async with transaction(runtime.sessions) as session:
        outcome = await _triage_locked(runtime, session=session, tip_id=request.tip_id)
        if request.job_key:
            await mark_completed(session=session, job_key=request.job_key)
        return outcome


async def _triage_locked(runtime: Runtime, *, session: AsyncSession, tip_id: str) -> str:
    tip = (
        await session.scalars(select(Tip).where(col(Tip.id) == uuid.UUID(tip_id)).with_for_update())
    ).first()
    if tip is None or tip.status == TipStatus.CLOSED:
        return "skipped"
    return await _triage(runtime, session=session, tip=tip)


async def _triage(runtime: Runtime, *, session: AsyncSession, tip: Tip) -> str:
    ruleset = runtime.rules.current()
    messages = await decisions.inbound_messages(session=session, tip_id=tip.id)
    digest = decisions.input_digest(messages)
    if await decisions.existing_decision(
        session=session, tip_id=tip.id, rules_version=ruleset.version, digest=digest
    ):
        return "unchanged"
    text = decisions.tip_text(runtime.keyring, messages)
    decision = decide(
        TipText(
            text=text,
            received_at=messages[-1].created_at,
            channel=tip.channel,
            place=decisions.place_hint(runtime.keyring, tip),
        ),
        ruleset,
        antenna_status=await decisions.antenna_statuses(session=session),
    )
    decisions.add_decision(
        session=session, keyring=runtime.keyring, tip=tip, decision=decision, digest=digest
    )
    now = utcnow()
    await decisions.link_duplicates(
        session=session, keyring=runtime.keyring, tip=tip, text=text, decision=decision, now=now
    )
    return await _route_or_hold(runtime, session=session, tip=tip, decision=decision)


async def _route_or_hold(
    runtime: Runtime, *, session: AsyncSession, tip: Tip, decision: Decision
) -> str:
    """Only a tip no human has handled yet is routed by the rules."""
    if tip.status != TipStatus.RECEIVED:
        return "decided"
    if decision.confident and not SENSITIVE_FLAGS.intersection(decision.flags):
        await route_tip(
            session=session,
            tip=tip,
            antenna_code=decision.antenna,
            ack_minutes=runtime.settings.ack_deadline_minutes(decision.priority),
            now=utcnow(),
        )
        return "routed"
    tip.status = TipStatus.AWAITING_OFFICER
    return "held"
