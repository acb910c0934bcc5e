"""The duty officers' queue: tips to decide, and cases that missed their deadline.

Work to do is sorted by priority, then deadline, then age (oldest first), with the time left
before each deadline; a reporter's answer to a question lifts its tip to the top of its
priority, and above everything for the officer who asked (« réponse reçue »). Past work
(routed, closed, everything) shows the most recent first. An unrouted tip's deadline runs from
its arrival (a voicemail's from its transcript: before it there was nothing to decide); a routed
one's is its case's acknowledgement deadline. Sorting, filters and paging all run in SQL over
the whole view, a page at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Join,
    Select,
    Table,
    and_,
    false,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy import case as sql_case
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import join, outerjoin
from sqlmodel import col

from service.casework.effective import EffectiveTriage, effective_column, effective_triages
from service.casework.errors import InvalidChoice
from service.casework.questions import answer_waiting, answers_waiting
from service.casework.vocabulary import CATEGORIES, CHANNELS, PRIORITIES
from service.core.keyset import InvalidCursor, after, decode_cursor, encode_cursor, epoch_seconds
from service.models import Antenna, Case, CaseEscalation, StaffUser, Tip, TipClaim, TipStatus
from service.settings import Settings

AnySelect = Select[*tuple[Any, ...]]
Keys = list[ColumnElement[Any]]
_TIPS = cast(Table, getattr(Tip, "__table__"))  # noqa: B009 - SQLModel hides it

PAGE_SIZE = 100
# Past work (routed, closed, everything) is counted up to here: an exact count of years of
# closed tips would cost more than the page, and "more than 10,000" tells the officer as much.
PAST_COUNT_LIMIT = 10_000
_UNDECIDED = "P9"  # sorts after every priority
_NO_DEADLINE = 2**53  # seconds: after every deadline


class QueueView(StrEnum):
    TO_DO = "a_traiter"  # waiting for an officer, plus escalated cases
    LATE = "en_retard"  # routed cases past their deadline
    ROUTED = "transmis"
    CLOSED = "clos"
    ALL = "tous"
    MINE = "mes_signalements"  # the open tips this officer has claimed


# The views of work still to do, sorted by urgency; the others show the most recent first.
_OPEN_VIEWS = (QueueView.TO_DO, QueueView.LATE, QueueView.MINE)


@dataclass(frozen=True)
class QueueFilters:
    view: QueueView = QueueView.TO_DO
    channel: str | None = None
    category: str | None = None
    antenna: str | None = None
    after: str | None = None  # the cursor of the page before: where this page starts
    claimant: uuid.UUID | None = None  # whose claimed tips "mes signalements" shows
    # The officer looking: the answers to their own questions come first.
    viewer: uuid.UUID | None = None

    @property
    def by_urgency(self) -> bool:
        return self.view in _OPEN_VIEWS


@dataclass(frozen=True)
class QueueItem:
    tip: Tip
    triage: EffectiveTriage
    case: Case | None
    escalated: bool
    claimed_by: str | None
    deadline: datetime | None
    seconds_left: int | None  # negative once the deadline has passed
    answer_received: bool = False  # the reporter answered a question not read yet
    answer_for_viewer: bool = False  # …one the officer looking at the queue asked

    @property
    def late(self) -> bool:
        return self.seconds_left is not None and self.seconds_left < 0

    @property
    def antenna(self) -> str | None:
        return self.case.antenna_code if self.case else self.triage.antenna


@dataclass(frozen=True)
class QueuePage:
    """One page of a view: its items, how many the view holds, where the next page starts."""

    items: list[QueueItem]
    total: int
    total_is_floor: bool  # past views are counted up to PAST_COUNT_LIMIT only
    next_cursor: str | None


async def parse_filters(
    *,
    session: AsyncSession,
    view: str | None,
    channel: str | None,
    category: str | None,
    antenna: str | None,
    after: str | None = None,
    claimant: uuid.UUID | None = None,
) -> QueueFilters:
    """Unknown filter values are refused (422) rather than silently showing everything."""
    try:
        parsed_view = QueueView(view) if view else QueueView.TO_DO
    except ValueError as error:
        raise InvalidChoice() from error
    if parsed_view == QueueView.MINE and claimant is None:
        raise InvalidChoice()
    if (channel and channel not in CHANNELS) or (category and category not in CATEGORIES):
        raise InvalidChoice()
    if antenna and await session.get(Antenna, antenna) is None:
        raise InvalidChoice()
    filters = QueueFilters(
        view=parsed_view,
        channel=channel or None,
        category=category or None,
        antenna=antenna or None,
        after=after or None,
        claimant=claimant,
        viewer=claimant,
    )
    _cursor(filters)  # a forged or stale cursor is refused here too
    return filters


async def build_queue(
    *,
    session: AsyncSession,
    settings: Settings,
    filters: QueueFilters,
    now: datetime,
    limit: int = PAGE_SIZE,
) -> QueuePage:
    """One page, sorted and filtered in SQL over the whole view: however many tips wait, the
    most urgent come first."""
    query, keys = _page_query(settings, filters, now)
    cursor = _cursor(filters)
    if cursor is not None:
        query = query.where(after(keys, cursor, descending=not filters.by_urgency))
    order = keys if filters.by_urgency else [key.desc() for key in keys]
    rows = (await session.execute(query.order_by(*order).limit(limit + 1))).all()
    more, rows = len(rows) > limit, rows[:limit]
    tip_ids = [row[0].id for row in rows]
    triages = await effective_triages(session=session, tip_ids=tip_ids)
    answers = await answers_waiting(session=session, tip_ids=tip_ids, viewer=filters.viewer)
    items = [
        _item(settings, tip, case, triages[tip.id], bool(escalated), holder, now, answers)
        for tip, case, escalated, holder, *_key in rows
    ]
    total, floor = await _count(session, filters, now)
    next_cursor = encode_cursor(list(rows[-1][4:])) if more and rows else None
    return QueuePage(items=items, total=total, total_is_floor=floor, next_cursor=next_cursor)


def _page_query(settings: Settings, filters: QueueFilters, now: datetime) -> tuple[AnySelect, Keys]:
    """The view's rows (tip, case, escalated, claimant, sort key…) and its sort key.

    Work to do is sorted by its effective priority: the open tips are first gathered once with
    it (a materialised CTE, so the per-tip look-ups run once per tip, not once per mention),
    then sorted by priority, deadline and age — the viewer's answers first, then within a
    priority any answer first. Past work walks the index on arrival instead."""
    if not filters.by_urgency:
        keys: Keys = [_TIPS.c.received_at, _TIPS.c.id]
        query = _shown(_tips_and_cases(), keys).where(*_past_conditions(filters))
        return query, keys
    priority = effective_column("priority").label("priority")
    answered = _first_if(answer_waiting()).label("answered")
    mine = _first_if(answer_waiting(filters.viewer) if filters.viewer else false()).label("mine")
    ranked = (
        union_all(
            *(part.add_columns(priority, answered, mine) for part in _open_parts(filters, now))
        )
        .cte("ranked")
        .prefix_with("MATERIALIZED")
    )
    keys = [
        ranked.c.mine,
        func.coalesce(ranked.c.priority, _UNDECIDED),
        ranked.c.answered,
        func.coalesce(_deadline_seconds(settings, ranked.c.priority), _NO_DEADLINE),
        _TIPS.c.received_at,
        _TIPS.c.id,
    ]
    tips = ranked.join(Tip, col(Tip.id) == ranked.c.tip_id)
    return _shown(tips.outerjoin(Case, col(Case.tip_id) == col(Tip.id)), keys), keys


def _first_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """0 where ``condition`` holds, else 1: a sort key that puts those rows first."""
    return sql_case((condition, 0), else_=1)


def _tips_and_cases() -> Join:
    return outerjoin(Tip, Case, col(Case.tip_id) == col(Tip.id))


def _shown(tips_and_cases: Join, keys: Keys) -> AnySelect:
    """What a row of the page shows, with its claimant."""
    claimed = tips_and_cases.outerjoin(TipClaim, col(TipClaim.tip_id) == col(Tip.id)).outerjoin(
        StaffUser, col(StaffUser.id) == col(TipClaim.staff_id)
    )
    return select(Tip, Case, _escalated(), col(StaffUser.username), *keys).select_from(claimed)


def _open_parts(filters: QueueFilters, now: datetime) -> list[AnySelect]:
    """Work to do as disjoint parts (``tip_id``), each found through its own index: tips by
    status, cases awaiting their chief by the partial index. Never a look-up of every tip."""
    cases_and_tips = join(Case, Tip, col(Tip.id) == col(Case.tip_id))
    awaiting_chief = [
        col(Case.acknowledged_at).is_(None),
        col(Tip.status) == TipStatus.ROUTED,
    ]
    if filters.view == QueueView.TO_DO:
        waiting = [TipStatus.RECEIVED, TipStatus.AWAITING_OFFICER]
        parts = [
            # Tips nobody has routed (or whose case was escalated)…
            _tip_ids(_tips_and_cases()).where(
                col(Tip.status).in_(waiting), col(Case.id).is_(None) | _escalated()
            ),
            # …and routed ones whose case was escalated.
            _tip_ids(cases_and_tips).where(*awaiting_chief, _escalation()),
        ]
    elif filters.view == QueueView.MINE:
        claimed = _tips_and_cases().join(TipClaim, col(TipClaim.tip_id) == col(Tip.id))
        parts = [_tip_ids(claimed).where(col(TipClaim.staff_id) == filters.claimant)]
    else:
        late = or_(col(Case.ack_deadline) < now, _escalation())
        parts = [_tip_ids(cases_and_tips).where(*awaiting_chief, late)]
    return [part.where(*_filters(filters)) for part in parts]


def _tip_ids(source: Join) -> AnySelect:
    return select(col(Tip.id).label("tip_id")).select_from(source)


def _past_conditions(filters: QueueFilters) -> list[ColumnElement[bool]]:
    """Past views over tips outer-joined to their case: one status, or every tip."""
    status = {QueueView.ROUTED: TipStatus.ROUTED, QueueView.CLOSED: TipStatus.CLOSED}
    view = status.get(filters.view)
    return [*([] if view is None else [col(Tip.status) == view]), *_filters(filters)]


def _filters(filters: QueueFilters) -> list[ColumnElement[bool]]:
    """The officer's filters, over tips (outer-)joined to their case."""
    conditions = []
    if filters.channel:
        conditions.append(col(Tip.channel) == filters.channel)
    if filters.category:
        conditions.append(effective_column("category") == filters.category)
    if filters.antenna:
        antenna = func.coalesce(col(Case.antenna_code), effective_column("antenna"))
        conditions.append(antenna == filters.antenna)
    return conditions


def _escalation() -> ColumnElement[bool]:
    """The case of the enclosing query was escalated for missing its current deadline."""
    return (
        select(col(CaseEscalation.id))
        .where(
            col(CaseEscalation.case_id) == col(Case.id),
            col(CaseEscalation.deadline) == col(Case.ack_deadline),
        )
        .exists()
    )


def _escalated() -> ColumnElement[bool]:
    return and_(col(Case.id).is_not(None), col(Case.acknowledged_at).is_(None), _escalation())


def _deadline_seconds(settings: Settings, priority: ColumnElement[Any]) -> ColumnElement[Any]:
    """``_deadline`` in SQL, in seconds since 1970: the case's while it waits for its chief;
    an unrouted tip's runs from its arrival (a voicemail's from its transcript) by its priority
    (undecided counts as P3)."""
    minutes = sql_case(
        {name: literal(settings.ack_deadline_minutes(name)) for name in PRIORITIES},
        value=func.coalesce(priority, "P3"),
        else_=None,
    )
    since = func.coalesce(col(Tip.transcribed_at), col(Tip.received_at))
    unrouted = epoch_seconds(since) + minutes * 60
    return sql_case(
        (col(Case.id).is_(None), unrouted),
        (col(Case.acknowledged_at).is_(None), epoch_seconds(col(Case.ack_deadline))),
        else_=None,
    )


_CURSOR_KINDS: dict[bool, Sequence[type]] = {
    True: (int, str, int, int, datetime, uuid.UUID),
    False: (datetime, uuid.UUID),
}


def _cursor(filters: QueueFilters) -> list[Any] | None:
    if filters.after is None:
        return None
    try:
        return decode_cursor(filters.after, _CURSOR_KINDS[filters.by_urgency])
    except InvalidCursor as error:
        raise InvalidChoice() from error


async def count_view(*, session: AsyncSession, filters: QueueFilters, now: datetime) -> int:
    """How many tips a view holds (past views up to ``PAST_COUNT_LIMIT``): for the home page."""
    total, _floor = await _count(session, filters, now)
    return total


async def _count(session: AsyncSession, filters: QueueFilters, now: datetime) -> tuple[int, bool]:
    """How many tips the view holds: exactly for work to do, up to a limit for past work."""
    if filters.by_urgency:
        matching = union_all(*_open_parts(filters, now)).subquery()
        found = await session.scalar(select(func.count()).select_from(matching))
        return int(found or 0), False
    past = (
        _tip_ids(_tips_and_cases())
        .where(*_past_conditions(filters))
        .limit(PAST_COUNT_LIMIT + 1)
        .subquery()
    )
    found = int(await session.scalar(select(func.count()).select_from(past)) or 0)
    return min(found, PAST_COUNT_LIMIT), found > PAST_COUNT_LIMIT


def _item(
    settings: Settings,
    tip: Tip,
    case: Case | None,
    triage: EffectiveTriage,
    escalated: bool,
    claimed_by: str | None,
    now: datetime,
    answers: dict[uuid.UUID, bool],
) -> QueueItem:
    deadline = _deadline(settings, tip, case, triage)
    return QueueItem(
        tip=tip,
        triage=triage,
        case=case,
        escalated=escalated,
        claimed_by=claimed_by,
        deadline=deadline,
        seconds_left=int((deadline - now).total_seconds()) if deadline else None,
        answer_received=tip.id in answers,
        answer_for_viewer=answers.get(tip.id, False),
    )


def _deadline(
    settings: Settings, tip: Tip, case: Case | None, triage: EffectiveTriage
) -> datetime | None:
    if tip.status == TipStatus.CLOSED:
        return None
    if case is not None:
        return case.ack_deadline if case.acknowledged_at is None else None
    minutes = settings.ack_deadline_minutes(triage.priority or "P3")
    return decidable_since(tip) + timedelta(minutes=minutes) if minutes else None


def decidable_since(tip: Tip) -> datetime:
    """When there was something to decide: a voicemail's transcript, else the tip's arrival."""
    return tip.transcribed_at or tip.received_at


# The most urgent work looked at for the P1 banner: P1s come first (after the viewer's answers).
_URGENT_LOOKED_AT = 20


@dataclass(frozen=True)
class Waiting:
    """What waits for the duty officers whatever view one is looking at: the tab's count."""

    total: int  # the « à traiter » view's count
    urgent: list[QueueItem]  # its P1 tips nobody has claimed, most urgent first


async def what_waits(
    *,
    session: AsyncSession,
    settings: Settings,
    filters: QueueFilters,
    page: QueuePage,
    now: datetime,
) -> Waiting:
    """Read off ``page`` when it is the « à traiter » view's first page, else one more look."""
    to_do = QueueFilters(claimant=filters.claimant, viewer=filters.viewer)
    if filters != to_do:
        page = await build_queue(
            session=session, settings=settings, filters=to_do, now=now, limit=_URGENT_LOOKED_AT
        )
    urgent = [
        item
        for item in page.items[:_URGENT_LOOKED_AT]
        if item.triage.priority == "P1" and item.claimed_by is None
    ]
    return Waiting(total=page.total, urgent=urgent)
