"""The same report sent twice within minutes joins the case the first one opened.

Two citizens (or one, twice) send near-identical texts about the same place and substances a
moment apart: the rules would route each and open two cases for the same antenna. Instead the
later tip, when the rules route it, is merged into the earlier one (``triage.duplicates
.sent_twice``), as a duty officer would merge it: it is closed as « fusionné », its case page
shows both tips, and the audit trail says the rules did it. A tip the rules hold for an officer
is only linked, never joined.

The earlier tip is looked for among the open cases of the tip's antenna opened within the
window (``Settings.duplicate_join_minutes``), and among the tips this batch routes before it.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Executable, Select, Text, bindparam, cast, exists, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import SQLModel, col

from service.core.audit import AuditRecord
from service.core.db import among_named, insert_rows, is_in, list_param, run_built
from service.decisions import store as decisions
from service.models import Case, CaseStatus, ClosureReason, Tip, TipStatus, TriageDecision
from triage import Decision
from triage.duplicates import DuplicateCandidate, sent_twice

JOINED = "tip.joined_case"
_CLOSURES = SQLModel.metadata.tables["tip_closures"]
_DECISIONS = SQLModel.metadata.tables["triage_decisions"]
# How far the clocks of the hosts that receive tips and decide them may disagree.
_CLOCK_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class RoutedNow:
    """A tip this batch routes by the rules, in the batch's order. ``first_routing``: it has no
    case yet, so it may join another's instead of opening its own."""

    tip_id: uuid.UUID
    received_at: datetime
    text: str
    decision: Decision
    first_routing: bool


@dataclass(frozen=True)
class _OpenCase:
    """A tip with an open case, as the later tip is compared with it."""

    tip_id: uuid.UUID
    antenna: str
    priority: str
    candidate: DuplicateCandidate


async def cases_to_join(
    *,
    session: AsyncSession,
    texts: decisions.BatchTexts,
    routed: Sequence[RoutedNow],
    redecided: set[uuid.UUID],
    moment: timedelta,
) -> dict[uuid.UUID, uuid.UUID]:
    """For each tip of ``routed`` that sends again a tip with an open case: that earlier tip.
    In order, as if each tip were triaged alone: a tip that opens its case here is a case for the
    tips after it. ``redecided``: tips of the batch whose routing this batch decides again (their
    cases as stored may be moved or taken back)."""
    # Only a tip at a named place can send a report again (``sent_twice``).
    joiners = [tip for tip in routed if tip.first_routing and tip.decision.place is not None]
    if not joiners or moment <= timedelta(0):
        return {}
    since = min(tip.received_at for tip in joiners) - moment
    facts = {
        facts_of(tip.decision.antenna, tip.decision.place, tip.decision.substances)
        for tip in joiners
    }
    open_cases = await open_cases_nearby(
        session=session,
        texts=texts,
        antennas={antenna for antenna, _place, _substances in facts},
        since=since,
        excluded=redecided,
        facts=facts,
    )
    normalise = texts.normalise  # each text once, however many tips it is compared with
    # Only a case with the tip's antenna, place and substances can be sent again: each tip is
    # compared with those alone, not with every open case the batch read.
    by_facts: dict[Facts, list[_OpenCase]] = {}
    for case in open_cases:
        by_facts.setdefault(_facts_of_case(case), []).append(case)
    joins: dict[uuid.UUID, uuid.UUID] = {}
    for tip in routed:
        new = _candidate(tip.tip_id, tip.received_at, tip.text, tip.decision)
        same = by_facts.setdefault(
            facts_of(tip.decision.antenna, tip.decision.place, tip.decision.substances), []
        )
        kept = (
            _earliest_sent_before(new, tip.decision, same, moment, normalise)
            if tip.first_routing
            else None
        )
        if kept is not None:
            joins[tip.tip_id] = kept.tip_id
        else:  # its case opens (or stays) here: the tips after it may join it
            same.append(_OpenCase(tip.tip_id, tip.decision.antenna, tip.decision.priority, new))
    return joins


def _facts_of_case(case: _OpenCase) -> Facts:
    return facts_of(case.antenna, case.candidate.place, case.candidate.substances)


def _earliest_sent_before(
    new: DuplicateCandidate,
    decision: Decision,
    open_cases: list[_OpenCase],
    moment: timedelta,
    normalise: Callable[[str], str],
) -> _OpenCase | None:
    """The earliest open case at the tip's antenna that it sends again. A tip more urgent than
    that case's tip is not joined: its own case and deadline make its urgency heard."""
    matching = [
        case
        for case in open_cases
        if case.antenna == decision.antenna
        and case.priority <= decision.priority  # "P1" < "P2": at least as urgent
        and sent_twice(new, case.candidate, normalise=normalise, moment=moment)
    ]
    return min(matching, key=lambda case: case.candidate.received_at, default=None)


def _candidate(
    tip_id: uuid.UUID, received_at: datetime, text: str, decision: Decision
) -> DuplicateCandidate:
    return DuplicateCandidate(
        tip_id=str(tip_id),
        text=text,
        source=None,  # joining compares what was said, whoever said it
        substances=tuple(decision.substances),
        place=decision.place,
        received_at=received_at,
    )


class _StoredCase(NamedTuple):
    antenna: str
    received_at: datetime
    place: str | None
    substances: tuple[str, ...]
    priority: str
    decision_id: uuid.UUID


@functools.cache
def _open_cases_statement(
    postgresql: bool,
) -> Select[uuid.UUID, str, datetime, str | None, list[str], str, uuid.UUID]:
    """Open cases of the antennas opened since ``since`` whose tip's newest decision names the
    place and substances of a tip of the batch (``what_and_where``), with that decision.

    Only such a case can be sent again (``sent_twice``): in a campaign the window holds
    thousands of open cases, and reading every decision of each cost a batch most of its time
    (bench/README.md). The statement starts from the few decisions made at the batch's places
    since the window opened (``ix_triage_decisions_place_created_at``: one range per place, a
    few dozen rows in a campaign), read first whatever the planner's estimates
    (``MATERIALIZED``: with stale statistics PostgreSQL walked the thousands of cases of the
    batch's antennas instead); each is then joined to its case and tip (by key, or by hashing
    the window's cases, whichever the planner finds cheaper), and a newer decision of its tip is one
    seek on ``ix_triage_decisions_tip_id_created_at``.
    tests/casework/test_query_plans.py holds the plan to this."""
    substances = cast(col(TriageDecision.substances), Text)
    recent = (
        select(
            col(TriageDecision.tip_id),
            col(TriageDecision.place),
            col(TriageDecision.substances),
            col(TriageDecision.priority),
            col(TriageDecision.created_at),
            col(TriageDecision.id),
        )
        .where(among_named("places", col(TriageDecision.place), postgresql))
        # A decision is made after its tip came in; the margin is for the clocks of the hosts
        # that receive tips and those that decide them.
        .where(col(TriageDecision.created_at) >= bindparam("decided_since"))
        .where(
            is_in(
                decisions.stored_what_and_where(_DECISIONS.c.place, substances),
                list_param("what_and_where", substances, postgresql),
                postgresql,
            )
        )
        .cte("recent")
        .prefix_with("MATERIALIZED")
    )
    newer = aliased(TriageDecision)
    return (
        select(
            col(Case.tip_id),
            col(Case.antenna_code),
            col(Tip.received_at),
            recent.c.place,
            recent.c.substances,
            recent.c.priority,
            recent.c.id,
        )
        .select_from(recent)
        .join(Case, col(Case.tip_id) == recent.c.tip_id)
        .join(Tip, col(Tip.id) == recent.c.tip_id)
        .where(
            is_in(
                col(Case.antenna_code),
                list_param("antennas", col(Case.antenna_code), postgresql),
                postgresql,
            )
        )
        .where(col(Case.created_at) >= bindparam("since"))
        .where(col(Case.status) != CaseStatus.CLOSED)
        .where(col(Tip.status) != TipStatus.CLOSED)
        .where(col(Tip.received_at) >= bindparam("since"))
        .where(not_(among_named("excluded", col(Tip.id), postgresql)))
        .where(
            ~exists().where(
                col(newer.tip_id) == recent.c.tip_id,
                col(newer.created_at) > recent.c.created_at,
            )
        )
        .order_by(recent.c.created_at)
    )


Facts = tuple[str, str | None, tuple[str, ...]]


def facts_of(antenna: str, place: str | None, substances: Sequence[str]) -> Facts:
    """What two tips must share before their words are compared: antenna, place, substances."""
    return antenna, place, tuple(sorted(substances))


async def open_cases_nearby(
    *,
    session: AsyncSession,
    texts: decisions.BatchTexts,
    antennas: set[str],
    since: datetime,
    excluded: set[uuid.UUID],
    facts: set[Facts],
) -> list[_OpenCase]:
    """The open cases a tip of the batch may join, each with its tip's newest decision: those
    sharing the antenna, place and substances of a tip of the batch (``facts``), as
    ``sent_twice`` matches no other. Only their texts are opened."""
    params = {
        "antennas": list(antennas),
        "what_and_where": list(
            {decisions.what_and_where(place, substances) for _antenna, place, substances in facts}
        ),
        "since": since,
        "decided_since": since - _CLOCK_MARGIN,
        "excluded": list(excluded),
        "places": list({place for _antenna, place, _substances in facts}),
    }
    rows = await run_built(session, _open_cases_statement, params)
    newest: dict[uuid.UUID, _StoredCase] = {}
    for tip_id, antenna, received_at, place, substances, priority, decision_id in rows:
        # Oldest first: of two decisions made at the same instant, the later read stays.
        newest[tip_id] = _StoredCase(
            antenna, received_at, place, tuple(substances), priority, decision_id
        )
    located = {
        tip_id: case.decision_id
        for tip_id, case in newest.items()
        if facts_of(case.antenna, case.place, case.substances) in facts
    }
    located_texts = await texts.of_decided(session, located)
    return [
        _OpenCase(
            tip_id=tip_id,
            antenna=case.antenna,
            priority=case.priority,
            candidate=DuplicateCandidate(
                str(tip_id),
                located_texts[tip_id],
                None,
                case.substances,
                case.place,
                case.received_at,
            ),
        )
        for tip_id, case in newest.items()
        if tip_id in located_texts
    ]


async def join_cases(
    *, session: AsyncSession, joins: dict[uuid.UUID, uuid.UUID], now: datetime
) -> list[AuditRecord]:
    """Close each joined tip as merged into the earlier one (no officer: the rules did it); the
    audit records to append, last, by the caller."""
    if not joins:
        return []
    await insert_rows(
        session,
        _CLOSURES,
        [
            {
                "tip_id": tip_id,
                "reason": ClosureReason.MERGED,
                "merged_into": kept,
                "closed_by": None,
                "closed_at": now,
            }
            for tip_id, kept in joins.items()
        ],
    )
    await run_built(session, _close_statement, {"tip_ids": list(joins), "closed_now": now})
    references = await _references(session, {*joins, *joins.values()})
    return [
        AuditRecord(
            actor=None,
            action=JOINED,
            target=f"tip:{references[tip_id]}",
            details={"into": references[kept]},
        )
        for tip_id, kept in joins.items()
    ]


@functools.cache
def _close_statement(postgresql: bool) -> Executable:
    return (
        update(Tip)
        .where(among_named("tip_ids", col(Tip.id), postgresql))
        .values(status=TipStatus.CLOSED, closed_at=bindparam("closed_now"))
    )


async def _references(session: AsyncSession, tip_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await run_built(session, _references_statement, {"tip_ids": list(tip_ids)})
    return dict(rows.all())


@functools.cache
def _references_statement(postgresql: bool) -> Executable:
    return select(col(Tip.id), col(Tip.reference)).where(
        among_named("tip_ids", col(Tip.id), postgresql)
    )
