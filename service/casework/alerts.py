"""SMS alerts to antenna chiefs: "N nouveaux signalements, dont X prioritaires", nothing more.

An alert names no reference and no place: a chief's phone can be lost or read over a shoulder.
Routing and escalation add an alert row and its delivery job in the same transaction; the job
sends one SMS per chief for all the antenna's pending alerts, with the counts at sending time.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from channels.i18n import translate
from crypto import InvalidPhoneNumber, Keyring, Purpose, normalise_phone, open_text, seal_text
from service.background.outbox import add_job
from service.casework.effective import effective_column
from service.casework.errors import InvalidPhone
from service.casework.vocabulary import URGENT_PRIORITIES
from service.core.audit import record_audit
from service.core.db import among, insert_rows
from service.core.job_names import JobName
from service.models import (
    AlertReason,
    Case,
    CaseStatus,
    ChiefAlert,
    Role,
    StaffAlertPhone,
    StaffUser,
)

SendSms = Callable[[str, str], Awaitable[None]]  # (to, body)

_ALERTS = cast(Table, getattr(ChiefAlert, "__table__"))  # noqa: B009 - SQLModel hides it


def queue_chief_alert(
    *,
    session: AsyncSession,
    antenna_code: str,
    reason: AlertReason,
    now: datetime,
    case_id: uuid.UUID | None = None,
) -> ChiefAlert:
    alert = ChiefAlert(antenna_code=antenna_code, reason=reason, case_id=case_id, created_at=now)
    session.add(alert)
    _add_alert_job(session, alert.id)
    return alert


def _add_alert_job(session: AsyncSession, alert_id: uuid.UUID) -> None:
    add_job(
        session=session,
        job_name=JobName.ALERT_ANTENNA_CHIEFS,
        args=[str(alert_id)],
        job_key=f"{JobName.ALERT_ANTENNA_CHIEFS}:{alert_id}",
    )


async def announce_unalerted_cases(*, session: AsyncSession, now: datetime) -> int:
    """Alert the chiefs of cases routed by the rules (or anywhere else) who were not told yet.
    How many cases were announced.

    An alert row per case (it records that the case was announced), a job per antenna (it sends
    all the antenna's pending alerts as one SMS), all set-based: at the peak of a campaign a
    sweep finds thousands of cases, and building them one by one held up the worker's triage."""
    announced = select(col(ChiefAlert.case_id)).where(
        col(ChiefAlert.reason) == AlertReason.ROUTED,
        col(ChiefAlert.case_id) == col(Case.id),
        col(ChiefAlert.antenna_code) == col(Case.antenna_code),
    )
    cases = await session.execute(
        select(col(Case.id), col(Case.antenna_code)).where(
            col(Case.status) == CaseStatus.NEW,
            col(Case.acknowledged_at).is_(None),
            ~announced.exists(),
        )
    )
    new = [(uuid.uuid4(), case_id, antenna_code) for case_id, antenna_code in cases]
    if not new:
        return 0
    # One statement for all: an executemany costs a round trip and a bind per row.
    await insert_rows(
        session,
        _ALERTS,
        [
            {
                "id": alert_id,
                "antenna_code": code,
                "reason": AlertReason.ROUTED,
                "case_id": case_id,
                "created_at": now,
            }
            for alert_id, case_id, code in new
        ],
    )
    first_of_antenna = {code: alert_id for alert_id, _, code in reversed(new)}
    for alert_id in first_of_antenna.values():
        _add_alert_job(session, alert_id)
    return len(new)


async def unacknowledged_counts(*, session: AsyncSession, antenna_code: str) -> tuple[int, int]:
    """(new cases, of which urgent) for one antenna: what its chief has still to acknowledge.

    Counted in SQL, with the priority an officer works from (``effective_column``): at a
    campaign's peak an antenna holds thousands of unacknowledged cases, and each alert job once
    loaded every one of them and all their decisions as objects."""
    priority = effective_column("priority", col(Case.tip_id))
    count, urgent = (
        await session.execute(
            select(func.count(), func.count().filter(priority.in_(URGENT_PRIORITIES))).where(
                col(Case.antenna_code) == antenna_code,
                col(Case.acknowledged_at).is_(None),
                col(Case.status) != CaseStatus.CLOSED,
            )
        )
    ).one()
    return int(count), int(urgent)


def alert_text(count: int, urgent: int, late: int = 0) -> str:
    """One GSM-7 segment. Escalations say so first: a late case is not one more new tip."""
    if late:
        return translate("console.alert.sms_late", late=late, count=count, urgent=urgent)
    if count == 1:
        return translate("console.alert.sms_one", count=count, urgent=urgent)
    key = "console.alert.sms" if urgent > 1 else "console.alert.sms_few_urgent"
    return translate(key, count=count, urgent=urgent)


async def deliver_alert(
    *, session: AsyncSession, keyring: Keyring, alert_id: uuid.UUID, send: SendSms, now: datetime
) -> int:
    """Send the antenna's pending alerts as one SMS per chief; how many SMS went out.

    An alert already sent (a retried job, or one folded into an earlier SMS) sends nothing.
    """
    alert = await session.get(ChiefAlert, alert_id)
    if alert is None or alert.sent_at is not None:
        return 0
    pending = await _pending_alerts(session=session, antenna_code=alert.antenna_code)
    count, urgent = await unacknowledged_counts(session=session, antenna_code=alert.antenna_code)
    sent = 0
    if count:
        late = sum(1 for _, reason in pending if reason == AlertReason.ESCALATED)
        body = alert_text(count, urgent, late)
        for number in await chief_numbers(
            session=session, keyring=keyring, antenna_code=alert.antenna_code
        ):
            await send(number, body)
            sent += 1
    # One statement for all: a campaign leaves hundreds pending between two sweeps.
    await session.execute(
        update(ChiefAlert)
        .where(among(session, col(ChiefAlert.id), [alert_id for alert_id, _ in pending]))
        .values(sent_at=now),
        execution_options={"synchronize_session": False},
    )
    return sent


async def _pending_alerts(
    *, session: AsyncSession, antenna_code: str
) -> list[tuple[uuid.UUID, str]]:
    """(id, reason) of the antenna's alerts not sent yet, locked until they are marked sent."""
    found = await session.execute(
        select(col(ChiefAlert.id), col(ChiefAlert.reason))
        .where(
            col(ChiefAlert.antenna_code) == antenna_code,
            col(ChiefAlert.sent_at).is_(None),
        )
        .with_for_update()
    )
    return [(alert_id, reason) for alert_id, reason in found]


async def chief_numbers(*, session: AsyncSession, keyring: Keyring, antenna_code: str) -> list[str]:
    """The alert numbers of the antenna's active chiefs, decrypted in memory for sending only."""
    rows = await session.execute(
        select(StaffAlertPhone)
        .join(StaffUser, col(StaffUser.id) == col(StaffAlertPhone.staff_id))
        .where(
            col(StaffUser.role) == Role.ANTENNA_CHIEF,
            col(StaffUser.antenna_code) == antenna_code,
            col(StaffUser.disabled).is_(False),
        )
    )
    return [_open_phone(keyring, phone) for phone in rows.scalars().all()]


def _phone_context(staff_id: uuid.UUID) -> str:
    return f"staff_phone:{staff_id}"


def _open_phone(keyring: Keyring, phone: StaffAlertPhone) -> str:
    return open_text(
        keyring, Purpose.IDENTITY, phone.phone_ciphertext, context=_phone_context(phone.staff_id)
    )


async def change_alert_phone(
    *, session: AsyncSession, keyring: Keyring, staff: StaffUser, phone: str, now: datetime
) -> StaffAlertPhone:
    """Store a chief's alert number sealed to their account; the trail says so, not the number."""
    try:
        number = normalise_phone(phone)
    except InvalidPhoneNumber:
        raise InvalidPhone() from None  # the message would quote the number
    sealed = seal_text(keyring, Purpose.IDENTITY, number, context=_phone_context(staff.id))
    stored = await session.get(StaffAlertPhone, staff.id)
    if stored is None:
        stored = StaffAlertPhone(staff_id=staff.id, phone_ciphertext=sealed, updated_at=now)
        session.add(stored)
    else:
        stored.phone_ciphertext, stored.updated_at = sealed, now
    await record_audit(session=session, actor=staff, action="staff.alert_phone_set")
    return stored


async def forget_alert_phone(*, session: AsyncSession, staff: StaffUser) -> bool:
    stored = await session.get(StaffAlertPhone, staff.id)
    if stored is None:
        return False
    await session.delete(stored)
    await record_audit(session=session, actor=staff, action="staff.alert_phone_removed")
    return True


async def has_alert_phone(*, session: AsyncSession, staff: StaffUser) -> bool:
    found = await session.scalar(
        select(func.count())
        .select_from(StaffAlertPhone)
        .where(col(StaffAlertPhone.staff_id) == staff.id)
    )
    return bool(found)
