"""From casework views to public schemas: the one place that decides what leaves the server."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, cast

from service.api.schemas import (
    AttachmentPublic,
    CasePublic,
    MessagePublic,
    NotePublic,
    OutcomePublic,
    PastTipPublic,
    QueueItemPublic,
    RelatedTipPublic,
    RuleHitPublic,
    SourcePublic,
    TipDetailPublic,
    TriagePublic,
)
from service.casework.attachments import AttachmentView
from service.casework.cases import CaseRow
from service.casework.effective import EffectiveTriage
from service.casework.explanations import ExplainedHit
from service.casework.notes import NoteView
from service.casework.queue import QueueItem
from service.casework.sources import SourceRecord
from service.casework.tip_view import ConversationLine, RelatedTip, TipDetail
from service.models import Case, CaseOutcome, Tip

AttachmentKind = Literal["image", "audio", "other"]


def triage_public(triage: EffectiveTriage, hits: list[ExplainedHit]) -> TriagePublic:
    decision = triage.decision
    return TriagePublic(
        category=triage.category,
        priority=triage.priority,
        antenna=triage.antenna,
        substances=triage.substances,
        place=triage.place,
        flags=list(decision.flags) if decision else [],
        rules=list(decision.rules) if decision else [],
        rules_version=decision.rules_version if decision else None,
        confident=decision.confident if decision else None,
        hits=[
            RuleHitPublic(
                rule=hit.rule,
                explanation=hit.explanation,
                explanation_en=hit.explanation_en,
                words=list(hit.words),
            )
            for hit in hits
        ],
        corrected=sorted(triage.corrected),
    )


def outcome_public(outcome: CaseOutcome) -> OutcomePublic:
    return OutcomePublic(
        kind=outcome.kind,
        substance=outcome.substance,
        quantity=outcome.quantity,
        unit=outcome.unit,
        arrests=outcome.arrests,
        recorded_at=outcome.recorded_at,
    )


def case_public(
    *,
    case: Case,
    tip: Tip,
    triage: EffectiveTriage,
    escalated: bool,
    outcomes: list[CaseOutcome],
    now: datetime,
) -> CasePublic:
    deadline = case.ack_deadline
    return CasePublic(
        id=case.id,
        tip_id=tip.id,
        reference=tip.reference,
        antenna=case.antenna_code,
        status=case.status,
        priority=triage.priority,
        category=triage.category,
        created_at=case.created_at,
        ack_deadline=deadline,
        acknowledged_at=case.acknowledged_at,
        late=case.acknowledged_at is None and deadline is not None and deadline <= now,
        escalated=escalated,
        outcomes=[outcome_public(outcome) for outcome in outcomes],
    )


def case_row_public(row: CaseRow, outcomes: list[CaseOutcome], now: datetime) -> CasePublic:
    return case_public(
        case=row.case,
        tip=row.tip,
        triage=row.triage,
        escalated=row.escalated,
        outcomes=outcomes,
        now=now,
    )


def queue_item_public(item: QueueItem) -> QueueItemPublic:
    return QueueItemPublic(
        tip_id=item.tip.id,
        reference=item.tip.reference,
        channel=item.tip.channel,
        status=item.tip.status,
        received_at=item.tip.received_at,
        transcribed_at=item.tip.transcribed_at,
        priority=item.triage.priority,
        category=item.triage.category,
        antenna=item.antenna,
        claimed_by=item.claimed_by,
        deadline=item.deadline,
        seconds_left=item.seconds_left,
        late=item.late,
        escalated=item.escalated,
        case_id=item.case.id if item.case else None,
        answer_received=item.answer_received,
        answer_for_you=item.answer_for_viewer,
    )


def message_public(line: ConversationLine) -> MessagePublic:
    return MessagePublic(
        id=line.message_id,
        reference=line.reference,
        direction=line.direction,
        created_at=line.created_at,
        text=line.text,
        delivery_status=line.delivery_status,
    )


def attachments_public(files: Sequence[AttachmentView], base: str) -> list[AttachmentPublic]:
    """``base``: the tip's or the case's path; a file's bytes are at ``base/attachments/id``."""
    return [
        AttachmentPublic(
            id=file.id,
            message_id=file.message_id,
            kind=cast(AttachmentKind, file.kind),
            content_type=file.content_type,
            size_bytes=file.size_bytes,
            status=file.status,
            url=f"{base}/attachments/{file.id}" if file.viewable else None,
        )
        for file in files
    ]


def related_public(related: RelatedTip) -> RelatedTipPublic:
    return RelatedTipPublic(
        tip_id=related.tip_id, reference=related.reference, status=related.status, kind=related.kind
    )


def source_public(source: SourceRecord) -> SourcePublic:
    return SourcePublic(
        pseudonym=source.pseudonym,
        opted_out=source.opted_out,
        past_count=source.past_count,
        past_count_is_floor=source.past_count_is_floor,
        past_tips=[
            PastTipPublic(
                tip_id=past.tip_id,
                reference=past.reference,
                received_at=past.received_at,
                status=past.status,
                category=past.category,
                case_status=past.case_status,
                grade=past.grade,
                outcomes=past.outcomes,
            )
            for past in source.past_tips
        ],
    )


def note_public(note: NoteView) -> NotePublic:
    return NotePublic(author=note.author, created_at=note.created_at, text=note.text)


def tip_detail_public(detail: TipDetail, now: datetime) -> TipDetailPublic:
    tip = detail.tip
    summary = detail.case
    return TipDetailPublic(
        id=tip.id,
        reference=tip.reference,
        channel=tip.channel,
        status=tip.status,
        received_at=tip.received_at,
        triage=triage_public(detail.triage, detail.hits),
        conversation=[message_public(line) for line in detail.conversation],
        duplicates=[related_public(related) for related in detail.duplicates],
        merged=[related_public(related) for related in detail.merged],
        merged_into=related_public(detail.merged_into) if detail.merged_into else None,
        closure_reason=detail.closure.reason if detail.closure else None,
        source=source_public(detail.source),
        grade=detail.grade,
        notes=[note_public(note) for note in detail.notes],
        claimed_by=detail.claimed_by,
        attachments=attachments_public(detail.attachments, f"/api/v1/tips/{tip.id}"),
        place_hint=detail.place_hint,
        answer_received=detail.answer_received,
        case=case_public(
            case=summary.case,
            tip=tip,
            triage=detail.triage,
            escalated=summary.escalated,
            outcomes=summary.outcomes,
            now=now,
        )
        if summary
        else None,
    )
