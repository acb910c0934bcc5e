"""Everything the tip page shows, decrypted in memory for this one view (which is audited)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crypto import Keyring, Purpose, open_text
from service.casework.access import tip_target
from service.casework.attachments import AttachmentView, attachments_of
from service.casework.cases import escalated_case_ids, outcomes_of
from service.casework.claims import claimants
from service.casework.effective import EffectiveTriage, corrections_of, overlay
from service.casework.explanations import ExplainedHit, explain_hits
from service.casework.grading import latest_grades
from service.casework.notes import NoteView, notes_of
from service.casework.questions import read_answers, reporter_reachable, told_of_texts
from service.casework.sources import SourceRecord, source_record
from service.core.audit import record_audit
from service.core.db import among
from service.decisions.store import decision_hits, latest_decision, open_place_hint
from service.models import (
    Attachment,
    AttachmentSource,
    AttachmentStatus,
    Case,
    CaseOutcome,
    DuplicateLink,
    Message,
    OperatorEntry,
    StaffUser,
    Tip,
    TipClosure,
)
from service.models.types import utcnow
from triage import Ruleset


@dataclass(frozen=True)
class ConversationLine:
    reference: str  # a merged tip's messages show under the kept tip, with their own reference
    direction: str
    created_at: datetime
    text: str
    delivery_status: str | None
    entered_by: str | None = None  # the operator who typed a caller's words: staff, not source
    message_id: uuid.UUID | None = None
    # A green-number call: its recording's state ("pending", "stored", "failed"), and whether
    # someone has transcribed it yet. None for any other message.
    recording: str | None = None
    transcribed: bool = False
    transcript: bool = False  # this line is an operator's transcript of a call
    # The photos and voice notes that came with it (a call's recording shows as the call's).
    files: tuple[AttachmentView, ...] = ()

    @property
    def voicemail_waiting(self) -> bool:
        """A call nobody has transcribed: its words are in a recording only."""
        return self.recording is not None and not self.transcribed


@dataclass(frozen=True)
class RelatedTip:
    tip_id: uuid.UUID
    reference: str
    status: str
    kind: str


@dataclass(frozen=True)
class CaseSummary:
    case: Case
    escalated: bool
    outcomes: list[CaseOutcome]


@dataclass(frozen=True)
class TipDetail:
    tip: Tip
    triage: EffectiveTriage
    hits: list[ExplainedHit]
    corrections: list[tuple[str, str]]  # (field, value) in order, for the record
    conversation: list[ConversationLine]
    duplicates: list[RelatedTip]
    merged: list[RelatedTip]
    closure: TipClosure | None
    merged_into: RelatedTip | None
    source: SourceRecord
    grade: str | None
    notes: list[NoteView]
    claimed_by: str | None
    case: CaseSummary | None
    reachable: bool  # a question can reach the source
    told_of_texts: bool = True  # a caller was told the office may text them (else no SMS)
    attachments: tuple[AttachmentView, ...] = ()  # every file of the tip (and of merged ones)
    place_hint: str | None = None  # the web form's « précision sur le lieu », decrypted
    answer_received: bool = False  # the reporter answered a question nobody has read yet


async def tip_detail(
    *, session: AsyncSession, keyring: Keyring, rules: Ruleset, tip: Tip, viewer: StaffUser
) -> TipDetail:
    """Reading a tip's content is recorded in the audit trail, whoever reads it."""
    decision = await latest_decision(session=session, tip_id=tip.id)
    corrections = await corrections_of(session=session, tip_id=tip.id)
    merged = await merged_into_this(session=session, tip=tip)
    closure = await session.get(TipClosure, tip.id)
    shown = [tip, *merged]
    files = await attachments_of(session=session, tip_ids=[one.id for one in shown])
    detail = TipDetail(
        tip=tip,
        triage=overlay(decision, corrections),
        hits=explain_hits(decision_hits(keyring, decision), rules) if decision else [],
        corrections=[
            (name, value)
            for correction in corrections
            for name in ("category", "priority", "antenna")
            if (value := getattr(correction, name)) is not None
        ],
        conversation=await conversation(session=session, keyring=keyring, tips=shown, files=files),
        duplicates=await _duplicates(session=session, tip=tip),
        merged=[_related(other, "fusionne") for other in merged],
        closure=closure,
        merged_into=await _merged_into(session=session, closure=closure),
        source=await source_record(session=session, tip=tip),
        grade=(await latest_grades(session=session, tip_ids=[tip.id])).get(tip.id),
        notes=await notes_of(session=session, keyring=keyring, tip_id=tip.id),
        claimed_by=(await claimants(session=session, tip_ids=[tip.id])).get(tip.id),
        case=await case_summary(session=session, tip=tip),
        reachable=await reporter_reachable(session=session, tip=tip),
        told_of_texts=await told_of_texts(session=session, tip=tip),
        attachments=tuple(files),
        place_hint=place_hint(keyring, tip),
        answer_received=await read_answers(session=session, tip=tip, reader=viewer, now=utcnow()),
    )
    await record_audit(session=session, actor=viewer, action="tip.viewed", target=tip_target(tip))
    return detail


async def conversation(
    *,
    session: AsyncSession,
    keyring: Keyring,
    tips: list[Tip],
    files: Sequence[AttachmentView] = (),
) -> list[ConversationLine]:
    """The tips' messages in order, each with the files it brought (``files``: the tips')."""
    sent: dict[uuid.UUID, list[AttachmentView]] = {}
    for file in files:
        if not file.recording:
            sent.setdefault(file.message_id, []).append(file)
    references = {tip.id: tip.reference for tip in tips}
    rows = await session.execute(
        select(Message, col(StaffUser.username))
        .where(among(session, col(Message.tip_id), references))
        .outerjoin(OperatorEntry, col(OperatorEntry.message_id) == col(Message.id))
        .outerjoin(StaffUser, col(StaffUser.id) == col(OperatorEntry.staff_user_id))
        .order_by(col(Message.created_at))
    )
    found = rows.all()
    recordings = await recording_states(
        session=session, message_ids=[message.id for message, _ in found]
    )
    transcribed = {message.transcript_of for message, _ in found if message.transcript_of}
    return [
        ConversationLine(
            reference=references[message.tip_id],
            direction=message.direction,
            created_at=message.created_at,
            text=open_text(
                keyring, Purpose.CONTENT, message.body_ciphertext, context=f"message:{message.id}"
            ),
            delivery_status=message.delivery_status,
            entered_by=operator,
            message_id=message.id,
            recording=recordings.get(message.id),
            transcribed=message.id in transcribed,
            transcript=message.transcript_of is not None,
            files=tuple(sent.get(message.id, ())),
        )
        for message, operator in found
    ]


def place_hint(keyring: Keyring, tip: Tip) -> str | None:
    """What the web form's reporter wrote of the place (gone once retention erased it)."""
    if tip.place_hint_ciphertext is None:
        return None
    return open_place_hint(keyring, tip.id, tip.place_hint_ciphertext)


async def merged_tip_ids(*, session: AsyncSession, tip: Tip) -> list[uuid.UUID]:
    """The tips merged into this one: their messages and files show under it."""
    return [merged.id for merged in await merged_into_this(session=session, tip=tip)]


async def recording_states(
    *, session: AsyncSession, message_ids: list[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Each call's recording state: stored once one of its recordings is, else the first's."""
    if not message_ids:
        return {}
    rows = await session.execute(
        select(col(Attachment.message_id), col(Attachment.status))
        .where(among(session, col(Attachment.message_id), message_ids))
        .where(col(Attachment.source) == AttachmentSource.TWILIO_RECORDING)
        .order_by(col(Attachment.created_at))
    )
    states: dict[uuid.UUID, str] = {}
    for message_id, status in rows.all():
        if status == AttachmentStatus.STORED or message_id not in states:
            states[message_id] = status
    return states


async def has_unheard_voicemail(*, session: AsyncSession, tip: Tip) -> bool:
    """A call of the tip that nobody has transcribed: closing it unheard needs a confirmation."""
    calls = await session.scalars(
        select(col(Attachment.message_id)).where(
            col(Attachment.tip_id) == tip.id,
            col(Attachment.source) == AttachmentSource.TWILIO_RECORDING,
        )
    )
    call_ids = set(calls.all())
    if not call_ids:
        return False
    transcribed = await session.scalars(
        select(col(Message.transcript_of)).where(
            among(session, col(Message.transcript_of), call_ids)
        )
    )
    return bool(call_ids - set(transcribed.all()))


async def case_summary(*, session: AsyncSession, tip: Tip) -> CaseSummary | None:
    case = (await session.scalars(select(Case).where(col(Case.tip_id) == tip.id))).first()
    if case is None:
        return None
    escalated = await escalated_case_ids(session=session, cases=[case])
    outcomes = await outcomes_of(session=session, case_ids=[case.id])
    return CaseSummary(
        case=case, escalated=case.id in escalated, outcomes=outcomes.get(case.id, [])
    )


def _related(tip: Tip, kind: str) -> RelatedTip:
    return RelatedTip(tip_id=tip.id, reference=tip.reference, status=tip.status, kind=kind)


async def _duplicates(*, session: AsyncSession, tip: Tip) -> list[RelatedTip]:
    """Links run both ways: the later tip holds the link, the earlier one shows it too."""
    links = (
        await session.scalars(
            select(DuplicateLink).where(
                or_(col(DuplicateLink.tip_id) == tip.id, col(DuplicateLink.other_tip_id) == tip.id)
            )
        )
    ).all()
    kinds = {
        (link.other_tip_id if link.tip_id == tip.id else link.tip_id): link.kind for link in links
    }
    if not kinds:
        return []
    others = await session.scalars(select(Tip).where(among(session, col(Tip.id), kinds)))
    return sorted(
        (_related(other, kinds[other.id]) for other in others.all()), key=lambda r: r.reference
    )


async def merged_into_this(*, session: AsyncSession, tip: Tip) -> list[Tip]:
    """The tips merged into this one, by an officer or by the rules (a report sent twice)."""
    found = await session.scalars(
        select(Tip)
        .join(TipClosure, col(TipClosure.tip_id) == col(Tip.id))
        .where(col(TipClosure.merged_into) == tip.id)
    )
    return list(found.all())


async def _merged_into(*, session: AsyncSession, closure: TipClosure | None) -> RelatedTip | None:
    if closure is None or closure.merged_into is None:
        return None
    kept = await session.get(Tip, closure.merged_into)
    return _related(kept, "fusionne") if kept else None
