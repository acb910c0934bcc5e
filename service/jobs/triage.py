"""``triage_tip``: decide, store the decision, route a confident one. Idempotent per input."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service import decisions
from service.db import transaction
from service.metrics import JOB_DURATION
from service.models import Tip, TipStatus
from service.models.types import utcnow
from service.routing import SENSITIVE_FLAGS, route_tip
from service.runtime import Runtime, runtime_of
from triage import Decision, TipText, decide

log = structlog.get_logger(__name__)


async def triage_tip(ctx: dict[str, Any], tip_id: str) -> str:
    runtime = runtime_of(ctx)
    with JOB_DURATION.labels(job="triage_tip").time():
        try:
            outcome = await _triage_once(runtime, tip_id)
        except IntegrityError:
            # Two jobs for one tip raced (SQLite has no row locks); the loser finds the
            # winner's decision on a second pass and changes nothing.
            outcome = await _triage_once(runtime, tip_id)
    log.info("tip_triaged", outcome=outcome)
    return outcome


async def _triage_once(runtime: Runtime, tip_id: str) -> str:
    async with transaction(runtime.sessions) as session:
        tip = (
            await session.scalars(
                select(Tip).where(col(Tip.id) == uuid.UUID(tip_id)).with_for_update()
            )
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
