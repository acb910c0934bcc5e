"""The dashboard's figures over a period: tips per day by channel, by category and by antenna,
time to acknowledgement, outcomes (per antenna too) and the quantities seized by substance, as
the antenna chiefs recorded them. Days are UTC days, which is Mali's time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, func, literal_column, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.casework.effective import effective_since
from service.casework.vocabulary import CHANNELS, PRIORITIES
from service.core.db import SessionMaker
from service.core.keyset import epoch_seconds
from service.models import Case, CaseOutcome, OutcomeKind, Tip

_EPOCH = date(1970, 1, 1)
_SECONDS_A_DAY: ColumnElement[int] = literal_column(
    "86400", Integer
)  # a literal: GROUP BY repeats it word for word

# Upper bounds in minutes, with the label key of each bucket.
ACK_BUCKETS = (
    (15, "lt15m"),
    (60, "lt1h"),
    (120, "lt2h"),
    (24 * 60, "lt24h"),
    (None, "gt24h"),
)


@dataclass(frozen=True)
class Seizures:
    """What was seized of one substance, in one unit (grams are added to kilograms)."""

    substance: str
    unit: str
    quantity: float
    seizures: int  # how many seizures were recorded


@dataclass(frozen=True)
class AntennaOutcomes:
    antenna: str
    by_kind: dict[str, int]  # outcome kind -> how many were recorded
    arrests: int  # people arrested


@dataclass(frozen=True)
class DashboardStats:
    days: list[date]
    tips_per_day: dict[date, dict[str, int]]  # day -> channel -> count
    by_category: dict[str, int]
    by_antenna: dict[str, int]
    ack_buckets: dict[str, int]
    unacknowledged: int
    median_ack_minutes: dict[str, float | None]  # by priority
    outcomes: dict[str, int]
    arrests: int
    seized: list[Seizures]  # by substance, most seizures first
    outcomes_by_antenna: list[AntennaOutcomes]
    # For the export: what each antenna seized (the page shows the totals).
    seized_by_antenna: dict[str, list[Seizures]]

    @property
    def total_tips(self) -> int:
        return sum(sum(by_channel.values()) for by_channel in self.tips_per_day.values())


async def dashboard_stats(
    *, sessions: SessionMaker, now: datetime, days: int = 14
) -> DashboardStats:
    """Every figure an aggregate in SQL over the period: a few rows come back, however many
    tips a campaign brought in. The aggregates are independent reads: they run in two lanes,
    each on its own connection, so the database works on both at once (a 92-day period at a
    million tips: about 220 ms of SQL in a row)."""
    first_day = now.date() - timedelta(days=days - 1)
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=UTC)
    day_list = [first_day + timedelta(days=offset) for offset in range(days)]

    async def by_priority_and_day(session: AsyncSession) -> tuple[Any, ...]:
        return (
            await _median_ack_minutes(session, since),
            await _tips_per_day(session, since, day_list),
            await _acknowledgements(session, since),
        )

    async def by_category_and_outcome(session: AsyncSession) -> tuple[Any, ...]:
        return (
            await _by_category(session, since),
            await _counted(session, col(Case.antenna_code), col(Case.created_at) >= since),
            await _outcomes(session, since),
            await _seized(session, since),
            await _outcomes_by_antenna(session, since),
            await _seized_by_antenna(session, since),
        )

    first, second = await asyncio.gather(
        _in_session(sessions, by_priority_and_day), _in_session(sessions, by_category_and_outcome)
    )
    medians, tips_per_day, (buckets, unacknowledged) = first
    by_category, by_antenna, (outcomes, arrests), seized, per_antenna, seized_per_antenna = second
    return DashboardStats(
        days=day_list,
        tips_per_day=tips_per_day,
        by_category=by_category,
        by_antenna=by_antenna,
        ack_buckets=buckets,
        unacknowledged=unacknowledged,
        median_ack_minutes=medians,
        outcomes=outcomes,
        arrests=arrests,
        seized=seized,
        outcomes_by_antenna=per_antenna,
        seized_by_antenna=seized_per_antenna,
    )


async def _in_session(
    sessions: SessionMaker, reads: Callable[[AsyncSession], Awaitable[tuple[Any, ...]]]
) -> tuple[Any, ...]:
    async with sessions() as session:
        return await reads(session)


async def _tips_per_day(
    session: AsyncSession, since: datetime, days: list[date]
) -> dict[date, dict[str, int]]:
    day = epoch_seconds(col(Tip.received_at)) // _SECONDS_A_DAY  # UTC days since 1970
    rows = await session.execute(
        select(day, col(Tip.channel), func.count())
        .where(col(Tip.received_at) >= since)
        .group_by(day, col(Tip.channel))
    )
    per_day = {one: dict.fromkeys(CHANNELS, 0) for one in days}
    for number, channel, count in rows.all():
        by_channel = per_day.get(_EPOCH + timedelta(days=int(number)))
        if by_channel is not None:
            by_channel[channel] = by_channel.get(channel, 0) + int(count)
    return per_day


async def _by_category(session: AsyncSession, since: datetime) -> dict[str, int]:
    effective = effective_since("category", since)
    categories = (
        effective.joined(
            select(func.coalesce(effective.value, "non_trie").label("category")).select_from(Tip),
            col(Tip.id),
        )
        .where(col(Tip.received_at) >= since)
        .subquery()
    )
    return await _counted(session, categories.c.category)


async def _counted(session: AsyncSession, key: Any, *where: ColumnElement[bool]) -> dict[str, int]:
    rows = await session.execute(select(key, func.count()).where(*where).group_by(key))
    return {str(value): int(count) for value, count in rows.all()}


def _seconds_to_ack() -> ColumnElement[int]:
    return epoch_seconds(col(Case.acknowledged_at)) - epoch_seconds(col(Case.created_at))


async def _acknowledgements(session: AsyncSession, since: datetime) -> tuple[dict[str, int], int]:
    """Acknowledged cases by delay bucket; how many are not acknowledged yet."""
    seconds = _seconds_to_ack()
    bucket = sql_case(
        (col(Case.acknowledged_at).is_(None), "none"),
        *((seconds < bound * 60, label) for bound, label in ACK_BUCKETS if bound is not None),
        else_=ACK_BUCKETS[-1][1],
    ).label("bucket")
    found = await _counted(session, bucket, col(Case.created_at) >= since)
    buckets = {label: found.get(label, 0) for _bound, label in ACK_BUCKETS}
    return buckets, found.get("none", 0)


async def _median_ack_minutes(session: AsyncSession, since: datetime) -> dict[str, float | None]:
    """By the tip's priority; the median is the middle row (or the mean of the two middle rows)
    of each priority, ranked by a window function."""
    effective = effective_since("priority", since)
    priority = effective.exact_for(col(Case.tip_id), since)
    delays = (
        effective.joined(
            select(priority.label("priority"), _seconds_to_ack().label("seconds")).select_from(
                Case
            ),
            col(Case.tip_id),
        )
        .where(col(Case.created_at) >= since, col(Case.acknowledged_at).is_not(None))
        .subquery()
    )
    ranked = select(
        delays.c.priority,
        delays.c.seconds,
        func.row_number()
        .over(partition_by=delays.c.priority, order_by=delays.c.seconds)
        .label("rank"),
        func.count().over(partition_by=delays.c.priority).label("size"),
    ).subquery()
    middle = or_(
        ranked.c.rank == (ranked.c.size + 1) // 2,
        ranked.c.rank == (ranked.c.size + 2) // 2,
    )
    rows = await session.execute(
        select(ranked.c.priority, func.avg(ranked.c.seconds))
        .where(middle)
        .group_by(ranked.c.priority)
    )
    medians = {str(priority): float(seconds) for priority, seconds in rows.all()}
    return {
        priority: round(medians[priority] / 60, 1) if priority in medians else None
        for priority in PRIORITIES
    }


async def _outcomes(session: AsyncSession, since: datetime) -> tuple[dict[str, int], int]:
    rows = await session.execute(
        select(col(CaseOutcome.kind), func.count(), func.coalesce(func.sum(CaseOutcome.arrests), 0))
        .where(col(CaseOutcome.recorded_at) >= since)
        .group_by(col(CaseOutcome.kind))
    )
    found = [(str(kind), int(count), int(arrests or 0)) for kind, count, arrests in rows.all()]
    return {kind: count for kind, count, _ in found}, sum(arrests for *_, arrests in found)


# Grams are added to kilograms; other units (tablets, plants, litres) are summed as they are.
_IN_GRAMS = col(CaseOutcome.unit) == "g"
_SEIZED_UNIT = sql_case((_IN_GRAMS, "kg"), else_=col(CaseOutcome.unit))
_SEIZED_QUANTITY = sql_case(
    (_IN_GRAMS, col(CaseOutcome.quantity) / 1000), else_=col(CaseOutcome.quantity)
)


def _seizures_since(since: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        col(CaseOutcome.kind) == OutcomeKind.SEIZURE,
        col(CaseOutcome.recorded_at) >= since,
    )


async def _seized(session: AsyncSession, since: datetime) -> list[Seizures]:
    """Totals by substance and unit, summed in SQL (``ix_case_outcomes_recorded_at``)."""
    rows = await session.execute(
        select(
            col(CaseOutcome.substance),
            _SEIZED_UNIT,
            func.sum(_SEIZED_QUANTITY),
            func.count(),
        )
        .where(*_seizures_since(since))
        .group_by(col(CaseOutcome.substance), _SEIZED_UNIT)
    )
    found = [_seizures(*row) for row in rows.all()]
    return sorted(found, key=lambda one: (-one.seizures, one.substance, one.unit))


async def _seized_by_antenna(session: AsyncSession, since: datetime) -> dict[str, list[Seizures]]:
    rows = await session.execute(
        select(
            col(Case.antenna_code),
            col(CaseOutcome.substance),
            _SEIZED_UNIT,
            func.sum(_SEIZED_QUANTITY),
            func.count(),
        )
        .join(Case, col(Case.id) == col(CaseOutcome.case_id))
        .where(*_seizures_since(since))
        .group_by(col(Case.antenna_code), col(CaseOutcome.substance), _SEIZED_UNIT)
        .order_by(col(Case.antenna_code), col(CaseOutcome.substance), _SEIZED_UNIT)
    )
    by_antenna: dict[str, list[Seizures]] = {}
    for antenna, *seized in rows.all():
        by_antenna.setdefault(str(antenna), []).append(_seizures(*seized))
    return by_antenna


def _seizures(substance: Any, unit: Any, quantity: Any, count: Any) -> Seizures:
    # Summed floats: 0.1 + 0.2 is shown 0,3, not 0,30000000000000004.
    return Seizures(str(substance), str(unit), round(float(quantity or 0), 3), int(count))


async def _outcomes_by_antenna(session: AsyncSession, since: datetime) -> list[AntennaOutcomes]:
    """Outcomes recorded in the period by the antenna of their case, counted in SQL."""
    rows = await session.execute(
        select(
            col(Case.antenna_code),
            col(CaseOutcome.kind),
            func.count(),
            func.coalesce(func.sum(CaseOutcome.arrests), 0),
        )
        .join(Case, col(Case.id) == col(CaseOutcome.case_id))
        .where(col(CaseOutcome.recorded_at) >= since)
        .group_by(col(Case.antenna_code), col(CaseOutcome.kind))
        .order_by(col(Case.antenna_code))
    )
    kinds: dict[str, dict[str, int]] = {}
    arrests: dict[str, int] = {}
    for antenna, kind, count, arrested in rows.all():  # one row per antenna and kind
        kinds.setdefault(str(antenna), {})[str(kind)] = int(count)
        arrests[str(antenna)] = arrests.get(str(antenna), 0) + int(arrested or 0)
    return [AntennaOutcomes(antenna, kinds[antenna], arrests[antenna]) for antenna in kinds]
