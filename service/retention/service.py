"""Retention: a reporter's number is destroyed, then each tip's content, after fixed periods.

Both periods count from ``Tip.closed_at``: the day its case was closed by the antenna chief, or
the tip closed by a duty officer (spam, out of scope, merged), moved on by any message written to
it afterwards. The number goes once *all* the reporter's tips have been closed for
``identity_after`` (an open tip may still need a reply); STOP destroys it at once, at intake. The
content of a tip goes ``content_after`` it closed.

Each pass reads a bounded page through its own partial index (``ix_tips_closed_at``,
``ix_tips_content_to_erase``), so a run costs what it changes, not the size of the history: the
content pass's index holds only tips still to erase, and the numbers pass keeps a cursor in
``retention_cursors`` so each closed tip is looked at once. A backlog is worked off over
successive runs.

Content is tombstoned, not deleted: the rows stay, so counts, the decision's category, priority
and antenna, and the audit trail remain for the statistics; but everything written about the tip
or derived from what the reporter wrote is overwritten — every message body (the reporter's
texts and answers, the officers' questions, operators' transcripts) and every officer's note
with a sealed tombstone text (screens that open them keep working), rule hits with an empty
list, the place the rules found with NULL, place hint, attachment bytes (photos, voice notes,
recordings) and any Twilio id still held with NULL, the web receipt-code hash with NULL.
Officers' corrections, closures, grades and outcomes hold only labels from fixed lists, never
text. Nothing of a tip is kept as a file on disk. Each erasure leaves a ``tip.content_erased``
audit entry, and ``Tip.content_erased_at`` marks it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from channels.i18n import translate
from crypto import Keyring, Purpose, seal_text
from service.core.audit import AuditRecord, record_audits
from service.core.db import among
from service.models import (
    Attachment,
    InternalNote,
    Message,
    Reporter,
    RetentionCursor,
    Tip,
    TipStatus,
    TriageDecision,
)
from service.reporters.identity import destroy_identity

IDENTITY_DESTROYED = "reporter.identity_destroyed"
CONTENT_ERASED = "tip.content_erased"
PAGE_SIZE = 200
_IDENTITIES_CURSOR = "identities"
_BY_RETENTION = {"reason": "retention"}


@dataclass(frozen=True)
class RetentionPolicy:
    identity_after: timedelta
    content_after: timedelta

    @classmethod
    def of_days(cls, *, identity_days: int, content_days: int) -> RetentionPolicy:
        return cls(timedelta(days=identity_days), timedelta(days=content_days))


@dataclass(frozen=True)
class RetentionPage:
    """How many rows one page changed, and whether another page may follow."""

    changed: int
    more: bool


async def destroy_expired_identities(
    *, session: AsyncSession, policy: RetentionPolicy, now: datetime, limit: int = PAGE_SIZE
) -> RetentionPage:
    """Crypto-shred the numbers of reporters whose tips have all been closed long enough.

    The next ``limit`` tips past the cursor whose period ran out name the reporters to look at:
    a reporter qualifies when that tip was their last to close."""
    cutoff = now - policy.identity_after
    cursor = await session.get(RetentionCursor, _IDENTITIES_CURSOR)
    tips = (await session.execute(_closed_since(cursor, cutoff, limit))).all()
    if not tips:
        return RetentionPage(0, more=False)
    reporter_ids = {reporter_id for _, _, reporter_id in tips if reporter_id is not None}
    reporters = (await session.scalars(_expired_reporters(session, reporter_ids, cutoff))).all()
    for reporter in reporters:
        destroy_identity(reporter, opted_out=False, now=now)
    await record_audits(
        session=session,
        records=[
            AuditRecord(None, IDENTITY_DESTROYED, f"source:{reporter.pseudonym}", _BY_RETENTION)
            for reporter in reporters
        ],
    )
    closed_at, tip_id, _ = tips[-1]
    assert closed_at is not None  # the query reads only closed tips
    if cursor is None:
        cursor = RetentionCursor(name=_IDENTITIES_CURSOR, closed_at=closed_at, tip_id=tip_id)
        session.add(cursor)
    cursor.closed_at, cursor.tip_id = closed_at, tip_id
    return RetentionPage(len(reporters), more=len(tips) == limit)


async def erase_expired_content(
    *,
    session: AsyncSession,
    keyring: Keyring,
    policy: RetentionPolicy,
    now: datetime,
    limit: int = PAGE_SIZE,
) -> RetentionPage:
    """Tombstone what the reporter wrote in tips closed longer than the content period. An
    erased tip leaves the partial index the page is read from: no cursor is needed."""
    cutoff = now - policy.content_after
    tips = (
        await session.scalars(
            select(Tip)
            .where(
                col(Tip.closed_at).is_not(None),
                col(Tip.content_erased_at).is_(None),
                col(Tip.closed_at) <= cutoff,
                col(Tip.status) == TipStatus.CLOSED,
            )
            .order_by(col(Tip.closed_at), col(Tip.id))
            .limit(limit)
        )
    ).all()
    await erase_contents(session=session, keyring=keyring, tips=tips, now=now)
    return RetentionPage(len(tips), more=len(tips) == limit)


async def erase_contents(
    *, session: AsyncSession, keyring: Keyring, tips: Sequence[Tip], now: datetime
) -> None:
    """One page's tips erased with a statement per table, not per tip."""
    if not tips:
        return
    tombstone = translate("retention.erased")
    ids = [tip.id for tip in tips]
    for message in (
        await session.scalars(select(Message).where(among(session, col(Message.tip_id), ids)))
    ).all():
        message.body_ciphertext = seal_text(
            keyring, Purpose.CONTENT, tombstone, context=f"message:{message.id}"
        )
        message.provider_id_sealed = None
    # Officers write about what the tip says: their notes go with it.
    notes = select(InternalNote).where(among(session, col(InternalNote.tip_id), ids))
    for note in (await session.scalars(notes)).all():
        note.body_ciphertext = seal_text(
            keyring, Purpose.CONTENT, tombstone, context=f"note:{note.id}"
        )
    decisions = select(TriageDecision).where(among(session, col(TriageDecision.tip_id), ids))
    for decision in (await session.scalars(decisions)).all():
        decision.hits_ciphertext = seal_text(
            keyring, Purpose.CONTENT, "[]", context=f"decision:{decision.id}"
        )
        decision.place = None  # a place the reporter named
    await session.execute(
        update(Attachment)
        .where(among(session, col(Attachment.tip_id), ids))
        .values(content_ciphertext=None, provider_id_sealed=None),
        execution_options={"synchronize_session": False},
    )
    for tip in tips:
        tip.place_hint_ciphertext = None
        tip.receipt_code_hash = None
        tip.content_erased_at = now
    await record_audits(
        session=session,
        records=[
            AuditRecord(None, CONTENT_ERASED, _tip_target(tip.reference), _BY_RETENTION)
            for tip in tips
        ],
    )


def _closed_since(
    cursor: RetentionCursor | None, cutoff: datetime, limit: int
) -> Select[datetime | None, uuid.UUID, uuid.UUID | None]:
    """Closed tips past the cursor whose period ran out, in closing order."""
    closed_at = col(Tip.closed_at)
    query = (
        select(closed_at, col(Tip.id), col(Tip.reporter_id))
        .where(closed_at.is_not(None), closed_at <= cutoff)
        .order_by(closed_at, col(Tip.id))
        .limit(limit)
    )
    if cursor is None:
        return query
    return query.where(tuple_(closed_at, col(Tip.id)) > tuple_(cursor.closed_at, cursor.tip_id))


def _expired_reporters(
    session: AsyncSession, reporter_ids: set[uuid.UUID], cutoff: datetime
) -> Select[Reporter]:
    """Of these reporters, those with a number and every tip closed before ``cutoff``."""
    not_expired = (
        select(col(Tip.id))
        .where(
            col(Tip.reporter_id) == col(Reporter.id),
            or_(
                col(Tip.status) != TipStatus.CLOSED,
                col(Tip.closed_at).is_(None),
                col(Tip.closed_at) > cutoff,
            ),
        )
        .exists()
    )
    return (
        select(Reporter)
        .where(
            among(session, col(Reporter.id), reporter_ids),
            col(Reporter.identity_ciphertext).is_not(None),
            ~not_expired,
        )
        .order_by(col(Reporter.id))
    )


def _tip_target(reference: str) -> str:
    """How the audit trail names a tip (see service.casework.access.tip_target)."""
    return f"tip:{reference}"
