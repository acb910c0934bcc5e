"""What an antenna chief's case page shows: the tip's conversation and triage, the source's
pseudonym and grade, the case's deadline, status and outcomes. Viewing it is audited.

Tips merged into the case's tip (the same report sent again, joined by the rules or merged by a
duty officer) are part of the case: their messages are in its conversation."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from crypto import Keyring
from service.casework.access import case_target
from service.casework.attachments import AttachmentView, attachments_of
from service.casework.cases import escalated_case_ids, outcomes_of
from service.casework.effective import EffectiveTriage, effective_triage
from service.casework.explanations import ExplainedHit, explain_hits
from service.casework.grading import latest_grades
from service.casework.questions import read_answers, reporter_reachable
from service.casework.tip_view import ConversationLine, conversation, merged_into_this, place_hint
from service.core.audit import record_audit
from service.decisions.store import decision_hits
from service.models import Case, CaseOutcome, Reporter, StaffUser, Tip
from service.models.types import utcnow
from triage import Ruleset


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    tip: Tip
    triage: EffectiveTriage
    hits: list[ExplainedHit]
    conversation: list[ConversationLine]
    merged: list[Tip]  # the tips merged into the case's tip
    pseudonym: str | None
    grade: str | None
    escalated: bool
    outcomes: list[CaseOutcome]
    reachable: bool  # a question can reach the source
    attachments: tuple[AttachmentView, ...] = ()
    place_hint: str | None = None  # the web form's « précision sur le lieu », decrypted
    answer_received: bool = False  # the reporter answered a question nobody has read yet


async def case_detail(
    *, session: AsyncSession, keyring: Keyring, rules: Ruleset, case: Case, viewer: StaffUser
) -> CaseDetail:
    tip = await session.get(Tip, case.tip_id)
    assert tip is not None  # cases.tip_id is a foreign key
    triage = await effective_triage(session=session, tip_id=tip.id)
    reporter = await session.get(Reporter, tip.reporter_id) if tip.reporter_id else None
    merged = await merged_into_this(session=session, tip=tip)
    shown = [tip, *merged]
    files = await attachments_of(session=session, tip_ids=[one.id for one in shown])
    detail = CaseDetail(
        case=case,
        tip=tip,
        triage=triage,
        hits=(
            explain_hits(decision_hits(keyring, triage.decision), rules) if triage.decision else []
        ),
        conversation=await conversation(session=session, keyring=keyring, tips=shown, files=files),
        merged=sorted(merged, key=lambda other: other.received_at),
        pseudonym=reporter.pseudonym if reporter else None,
        grade=(await latest_grades(session=session, tip_ids=[tip.id])).get(tip.id),
        escalated=case.id in await escalated_case_ids(session=session, cases=[case]),
        outcomes=(await outcomes_of(session=session, case_ids=[case.id])).get(case.id, []),
        reachable=await reporter_reachable(session=session, tip=tip),
        attachments=tuple(files),
        place_hint=place_hint(keyring, tip),
        answer_received=await read_answers(session=session, tip=tip, reader=viewer, now=utcnow()),
    )
    await record_audit(
        session=session, actor=viewer, action="case.viewed", target=case_target(case)
    )
    return detail
