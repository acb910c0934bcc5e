"""Retention: a reporter's number is destroyed, then each tip's content, after fixed periods.

Both periods count from the day a tip was closed — its case closed by the antenna chief, or the
tip closed by a duty officer (spam, out of scope, merged). The number goes once *all* the
reporter's tips have been closed for ``identity_after`` (an open tip may still need a reply);
STOP destroys it at once, at intake. The content of a tip goes ``content_after`` it closed.

Content is tombstoned, not deleted: the rows stay, so counts, the decision's category, priority
and antenna, and the audit trail remain for the statistics; but everything written about the tip
or derived from what the reporter wrote is overwritten — every message body (the reporter's
texts and answers, the officers' questions, operators' transcripts) and every officer's note
with a sealed tombstone text (screens that open them keep working), rule hits with an empty
list, the place the rules found with NULL, place hint, attachment bytes (photos, voice notes,
recordings) and any Twilio id still held with NULL, the web receipt-code hash with NULL.
Officers' corrections, closures, grades and outcomes hold only labels from fixed lists, never
text. Nothing of a tip is kept as a file on disk. Each erasure leaves a ``tip.content_erased``
audit entry, which is also how an erased tip is recognised (no column marks it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, String, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from channels.i18n import translate
from crypto import Keyring, Purpose, seal_text
from service.core.audit import record_audit
from service.models import (
    Attachment,
    AuditEntry,
    Case,
    InternalNote,
    Message,
    Reporter,
    Tip,
    TipClosure,
    TipStatus,
    TriageDecision,
)
from service.reporters.identity import destroy_identity

IDENTITY_DESTROYED = "reporter.identity_destroyed"
CONTENT_ERASED = "tip.content_erased"
PAGE_SIZE = 200


@dataclass(frozen=True)
class RetentionPolicy:
    identity_after: timedelta
    content_after: timedelta

    @classmethod
    def of_days(cls, *, identity_days: int, content_days: int) -> RetentionPolicy:
        return cls(timedelta(days=identity_days), timedelta(days=content_days))


@dataclass(frozen=True)
class RetentionPage:
    """How many rows one page changed, and where the next page starts (None: no more)."""

    changed: int
    next_after: uuid.UUID | None


async def destroy_expired_identities(
    *,
    session: AsyncSession,
    policy: RetentionPolicy,
    now: datetime,
    after_id: uuid.UUID | None = None,
    limit: int = PAGE_SIZE,
) -> RetentionPage:
    """Crypto-shred the numbers of reporters whose tips have all been closed long enough."""
    reporters = (await session.scalars(_identity_candidates(after_id, limit))).all()
    tips = (
        await session.scalars(
            select(Tip).where(col(Tip.reporter_id).in_([r.id for r in reporters]))
        )
    ).all()
    closed_at = await closing_times(session=session, tips=tips)
    last_closed: dict[uuid.UUID | None, datetime] = {}
    for tip in tips:
        previous = last_closed.get(tip.reporter_id)
        if previous is None or closed_at[tip.id] > previous:
            last_closed[tip.reporter_id] = closed_at[tip.id]
    changed = 0
    for reporter in reporters:
        if last_closed[reporter.id] <= now - policy.identity_after:
            destroy_identity(reporter, opted_out=False, now=now)
            await record_audit(
                session=session,
                actor=None,
                action=IDENTITY_DESTROYED,
                target=f"source:{reporter.pseudonym}",
                details={"reason": "retention"},
            )
            changed += 1
    return RetentionPage(changed, _next_after(reporters, limit))


async def erase_expired_content(
    *,
    session: AsyncSession,
    keyring: Keyring,
    policy: RetentionPolicy,
    now: datetime,
    after_id: uuid.UUID | None = None,
    limit: int = PAGE_SIZE,
) -> RetentionPage:
    """Tombstone what the reporter wrote in tips closed longer than the content period."""
    tips = (await session.scalars(_content_candidates(after_id, limit))).all()
    closed_at = await closing_times(session=session, tips=tips)
    changed = 0
    for tip in tips:
        if closed_at[tip.id] <= now - policy.content_after:
            await erase_tip_content(session=session, keyring=keyring, tip=tip)
            changed += 1
    return RetentionPage(changed, _next_after(tips, limit))


async def erase_tip_content(*, session: AsyncSession, keyring: Keyring, tip: Tip) -> None:
    tombstone = translate("retention.erased")
    for message in (
        await session.scalars(select(Message).where(col(Message.tip_id) == tip.id))
    ).all():
        message.body_ciphertext = seal_text(
            keyring, Purpose.CONTENT, tombstone, context=f"message:{message.id}"
        )
        message.provider_id_sealed = None
    # Officers write about what the tip says: their notes go with it.
    for note in (
        await session.scalars(select(InternalNote).where(col(InternalNote.tip_id) == tip.id))
    ).all():
        note.body_ciphertext = seal_text(
            keyring, Purpose.CONTENT, tombstone, context=f"note:{note.id}"
        )
    decisions = await session.scalars(
        select(TriageDecision).where(col(TriageDecision.tip_id) == tip.id)
    )
    for decision in decisions.all():
        decision.hits_ciphertext = seal_text(
            keyring, Purpose.CONTENT, "[]", context=f"decision:{decision.id}"
        )
        decision.place = None  # a place the reporter named
    tip.place_hint_ciphertext = None
    tip.receipt_code_hash = None
    await session.execute(
        update(Attachment)
        .where(col(Attachment.tip_id) == tip.id)
        .values(content_ciphertext=None, provider_id_sealed=None)
    )
    await record_audit(
        session=session,
        actor=None,
        action=CONTENT_ERASED,
        target=_tip_target(tip.reference),
        details={"reason": "retention"},
    )


async def closing_times(*, session: AsyncSession, tips: Sequence[Tip]) -> dict[uuid.UUID, datetime]:
    """When each tip was closed, as the records tell it: the latest of its closure by a duty
    officer, its case's creation, acknowledgement and audited changes (closing is one), anything
    audited on the tip itself, and its last message. Later evidence only keeps data longer."""
    times = {tip.id: tip.last_message_at for tip in tips}
    ids = list(times)
    closures = await session.execute(
        select(col(TipClosure.tip_id), col(TipClosure.closed_at)).where(
            col(TipClosure.tip_id).in_(ids)
        )
    )
    _keep_latest(times, ((tip_id, closed) for tip_id, closed in closures))
    cases = (
        await session.execute(
            select(
                col(Case.id), col(Case.tip_id), col(Case.created_at), col(Case.acknowledged_at)
            ).where(col(Case.tip_id).in_(ids))
        )
    ).all()
    _keep_latest(times, ((tip_id, created) for _, tip_id, created, _ in cases))
    _keep_latest(times, ((tip_id, acked) for _, tip_id, _, acked in cases))
    targets = {f"case:{case_id}": tip_id for case_id, tip_id, _, _ in cases}
    targets |= {_tip_target(tip.reference): tip.id for tip in tips}
    audited = await session.execute(
        select(col(AuditEntry.target), func.max(col(AuditEntry.recorded_at)))
        .where(col(AuditEntry.target).in_(list(targets)))
        .group_by(col(AuditEntry.target))
    )
    _keep_latest(times, ((targets[target], at) for target, at in audited if target))
    return times


def _identity_candidates(after_id: uuid.UUID | None, limit: int) -> Select[Reporter]:
    """Reporters with a number, at least one tip, and no tip still open."""
    has_tip = select(col(Tip.id)).where(col(Tip.reporter_id) == col(Reporter.id)).exists()
    has_open_tip = (
        select(col(Tip.id))
        .where(col(Tip.reporter_id) == col(Reporter.id), col(Tip.status) != TipStatus.CLOSED)
        .exists()
    )
    query = (
        select(Reporter)
        .where(col(Reporter.identity_ciphertext).is_not(None), has_tip, ~has_open_tip)
        .order_by(col(Reporter.id))
        .limit(limit)
    )
    return query if after_id is None else query.where(col(Reporter.id) > after_id)


def _content_candidates(after_id: uuid.UUID | None, limit: int) -> Select[Tip]:
    """Closed tips whose content has not been erased yet."""
    erased = (
        select(col(AuditEntry.sequence))
        .where(
            col(AuditEntry.action) == CONTENT_ERASED,
            col(AuditEntry.target) == literal("tip:", String) + col(Tip.reference),
        )
        .exists()
    )
    query = (
        select(Tip)
        .where(col(Tip.status) == TipStatus.CLOSED, ~erased)
        .order_by(col(Tip.id))
        .limit(limit)
    )
    return query if after_id is None else query.where(col(Tip.id) > after_id)


def _keep_latest(
    times: dict[uuid.UUID, datetime], found: Iterable[tuple[uuid.UUID, datetime | None]]
) -> None:
    for tip_id, at in found:
        if at is not None and at > times[tip_id]:
            times[tip_id] = at


def _next_after(rows: Sequence[Reporter] | Sequence[Tip], limit: int) -> uuid.UUID | None:
    return rows[-1].id if len(rows) == limit else None


def _tip_target(reference: str) -> str:
    """How the audit trail names a tip (see service.casework.access.tip_target)."""
    return f"tip:{reference}"
