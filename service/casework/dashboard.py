"""The dashboard's figures over a period: tips per day by channel, by category and by antenna,
time to acknowledgement, outcomes. Days are UTC days, which is Mali's time."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.casework.effective import effective_triages
from service.casework.vocabulary import CHANNELS, PRIORITIES
from service.models import Case, CaseOutcome, Tip

# Upper bounds in minutes, with the label key of each bucket.
ACK_BUCKETS = (
    (15, "lt15m"),
    (60, "lt1h"),
    (120, "lt2h"),
    (24 * 60, "lt24h"),
    (None, "gt24h"),
)


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

    @property
    def total_tips(self) -> int:
        return sum(sum(by_channel.values()) for by_channel in self.tips_per_day.values())


async def dashboard_stats(
    *, session: AsyncSession, now: datetime, days: int = 14
) -> DashboardStats:
    first_day = now.date() - timedelta(days=days - 1)
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=now.tzinfo)
    tips = (await session.scalars(select(Tip).where(col(Tip.received_at) >= since))).all()
    cases = (await session.scalars(select(Case).where(col(Case.created_at) >= since))).all()
    outcomes = (
        await session.scalars(select(CaseOutcome).where(col(CaseOutcome.recorded_at) >= since))
    ).all()
    triages = await effective_triages(session=session, tip_ids=[tip.id for tip in tips])
    priorities = await effective_triages(session=session, tip_ids=[case.tip_id for case in cases])
    day_list = [first_day + timedelta(days=offset) for offset in range(days)]
    acknowledged = [case for case in cases if case.acknowledged_at is not None]
    return DashboardStats(
        days=day_list,
        tips_per_day=_per_day(tips, day_list),
        by_category=dict(Counter(triages[tip.id].category or "non_trie" for tip in tips)),
        by_antenna=dict(Counter(case.antenna_code for case in cases)),
        ack_buckets=_ack_buckets(acknowledged),
        unacknowledged=len(cases) - len(acknowledged),
        median_ack_minutes={
            priority: _median_minutes(
                [c for c in acknowledged if priorities[c.tip_id].priority == priority]
            )
            for priority in PRIORITIES
        },
        outcomes=dict(Counter(str(outcome.kind) for outcome in outcomes)),
        arrests=sum(outcome.arrests or 0 for outcome in outcomes),
    )


def _per_day(tips: Sequence[Tip], days: list[date]) -> dict[date, dict[str, int]]:
    per_day = {day: dict.fromkeys(CHANNELS, 0) for day in days}
    for tip in tips:
        by_channel = per_day.get(tip.received_at.date())
        if by_channel is not None:
            by_channel[tip.channel] = by_channel.get(tip.channel, 0) + 1
    return per_day


def _minutes_to_ack(case: Case) -> float:
    assert case.acknowledged_at is not None
    return (case.acknowledged_at - case.created_at).total_seconds() / 60


def _ack_buckets(acknowledged: list[Case]) -> dict[str, int]:
    buckets = dict.fromkeys((label for _bound, label in ACK_BUCKETS), 0)
    for case in acknowledged:
        minutes = _minutes_to_ack(case)
        label = next(label for bound, label in ACK_BUCKETS if bound is None or minutes < bound)
        buckets[label] += 1
    return buckets


def _median_minutes(cases: list[Case]) -> float | None:
    return round(statistics.median(_minutes_to_ack(c) for c in cases), 1) if cases else None
