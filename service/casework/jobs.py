"""Deadlines and chiefs' alerts, as jobs.

``escalate_overdue_cases`` and ``announce_routed_cases`` are periodic (arq cron on the worker, a
background loop in embedded mode). ``alert_antenna_chiefs`` is queued through the outbox by
routing and escalation, with the alert's id only.

The periodic jobs read the time from ``ctx["clock"]`` when a test has set one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from arq.worker import Retry
from sqlalchemy.exc import SQLAlchemyError

from service.background.outbox import jobs_written
from service.casework.alerts import SendSms, announce_unalerted_cases, deliver_alert
from service.casework.escalation import ESCALATION_PAGE, escalate_overdue
from service.core.db import transaction
from service.core.job_names import JobName
from service.core.metrics import DEADLINE_MISSES, JOB_DURATION
from service.core.twilio import TwilioClient, TwilioError
from service.models.types import utcnow
from service.runtime import Runtime, runtime_of

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]
RETRY_SECONDS = 60


def clock_of(ctx: dict[str, Any]) -> datetime:
    clock: Clock = ctx.get("clock", utcnow)
    return clock()


async def escalate_overdue_cases(ctx: dict[str, Any]) -> int:
    """Mark late, show to duty officers and supervisors, alert the chiefs. How many escalated."""
    runtime = runtime_of(ctx)
    now = clock_of(ctx)
    total = 0
    with JOB_DURATION.labels(job=JobName.ESCALATE_OVERDUE_CASES).time():
        while True:
            escalated = await _escalate_page(runtime, now)
            total += escalated
            if escalated < ESCALATION_PAGE:
                break
    if total:
        log.info("cases_escalated", count=total)
    return total


async def _escalate_page(runtime: Runtime, now: datetime) -> int:
    async with transaction(runtime.sessions) as session:
        escalated = await escalate_overdue(session=session, now=now, limit=ESCALATION_PAGE)
        await session.flush()
        jobs = jobs_written(session)
    await runtime.dispatcher.dispatch(jobs)
    for escalation in escalated:
        DEADLINE_MISSES.labels(antenna=escalation.antenna_code).inc()
    return len(escalated)


async def announce_routed_cases(ctx: dict[str, Any]) -> int:
    """Alert the chiefs of cases that were routed without an alert (routed by the rules)."""
    runtime = runtime_of(ctx)
    async with transaction(runtime.sessions) as session:
        announced = await announce_unalerted_cases(session=session, now=clock_of(ctx))
        await session.flush()
        jobs = jobs_written(session)
    await runtime.dispatcher.dispatch(jobs)
    return announced


async def alert_antenna_chiefs(ctx: dict[str, Any], alert_id: str) -> int:
    """Send an antenna's pending alerts; a temporary Twilio failure retries the whole send."""
    runtime = runtime_of(ctx)
    client = runtime.twilio
    if client is None:
        log.warning("chief_alert_not_sent", reason="twilio_not_configured")
        return 0
    try:
        async with runtime.twilio_send_slots, transaction(runtime.sessions) as session:
            sent = await deliver_alert(
                session=session,
                keyring=runtime.keyring,
                alert_id=uuid.UUID(alert_id),
                send=_sender(client),
                now=utcnow(),
            )
    except TwilioError as error:
        if error.temporary:
            raise Retry(defer=RETRY_SECONDS) from None
        log.warning("chief_alert_refused", status=error.status, code=error.code)
        return 0
    log.info("chief_alert_sent", sms=sent)
    return sent


def _sender(client: TwilioClient) -> SendSms:
    async def send(to: str, body: str) -> None:
        await client.send_sms(to=to, body=body, status_callback=None)

    return send


async def watch_deadlines(ctx: dict[str, Any], *, every_seconds: float = 30.0) -> None:
    """Embedded mode's cron: the same sweeps as the worker's, in this process."""
    while True:
        await asyncio.sleep(every_seconds)
        try:
            await escalate_overdue_cases(ctx)
            await announce_routed_cases(ctx)
        except (SQLAlchemyError, OSError) as error:  # the next tick tries again
            log.warning("deadline_sweep_failed", error=type(error).__name__)
