"""The duty officers' queue: tips to decide, and cases that missed their deadline.

Sorted by priority, then age (oldest first), with the time left before each deadline. An
unrouted tip's deadline runs from its arrival; a routed one's is its case's acknowledgement
deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.casework.cases import escalated_case_ids
from service.casework.claims import claimants
from service.casework.effective import EffectiveTriage, effective_triages
from service.casework.errors import InvalidChoice
from service.casework.vocabulary import CATEGORIES, CHANNELS
from service.models import Antenna, Case, Tip, TipStatus
from service.settings import Settings

QUEUE_LIMIT = 500


class QueueView(StrEnum):
    TO_DO = "a_traiter"  # waiting for an officer, plus escalated cases
    LATE = "en_retard"  # routed cases past their deadline
    ROUTED = "transmis"
    CLOSED = "clos"
    ALL = "tous"


@dataclass(frozen=True)
class QueueFilters:
    view: QueueView = QueueView.TO_DO
    channel: str | None = None
    category: str | None = None
    antenna: str | None = None


@dataclass(frozen=True)
class QueueItem:
    tip: Tip
    triage: EffectiveTriage
    case: Case | None
    escalated: bool
    claimed_by: str | None
    deadline: datetime | None
    seconds_left: int | None  # negative once the deadline has passed

    @property
    def late(self) -> bool:
        return self.seconds_left is not None and self.seconds_left < 0

    @property
    def antenna(self) -> str | None:
        return self.case.antenna_code if self.case else self.triage.antenna


async def parse_filters(
    *,
    session: AsyncSession,
    view: str | None,
    channel: str | None,
    category: str | None,
    antenna: str | None,
) -> QueueFilters:
    """Unknown filter values are refused (422) rather than silently showing everything."""
    try:
        parsed_view = QueueView(view) if view else QueueView.TO_DO
    except ValueError as error:
        raise InvalidChoice() from error
    if (channel and channel not in CHANNELS) or (category and category not in CATEGORIES):
        raise InvalidChoice()
    if antenna and await session.get(Antenna, antenna) is None:
        raise InvalidChoice()
    return QueueFilters(
        view=parsed_view,
        channel=channel or None,
        category=category or None,
        antenna=antenna or None,
    )


async def build_queue(
    *, session: AsyncSession, settings: Settings, filters: QueueFilters, now: datetime
) -> list[QueueItem]:
    result = await session.execute(_candidates(filters))
    rows: list[tuple[Tip, Case | None]] = [(tip, case) for tip, case in result.all()]
    tips = [tip for tip, _case in rows]
    triages = await effective_triages(session=session, tip_ids=[tip.id for tip in tips])
    cases = [case for _tip, case in rows if case is not None]
    escalated = await escalated_case_ids(session=session, cases=cases)
    holders = await claimants(session=session, tip_ids=[tip.id for tip in tips])
    items = [
        _item(
            settings,
            tip,
            case,
            triages[tip.id],
            case is not None and case.id in escalated,
            holders.get(tip.id),
            now,
        )
        for tip, case in rows
    ]
    items = [item for item in items if _wanted(item, filters)]
    items.sort(key=lambda item: (item.triage.priority or "P9", item.tip.received_at))
    return items[:QUEUE_LIMIT]


def _candidates(filters: QueueFilters) -> Select[Tip, Case]:
    query = select(Tip, Case).outerjoin(Case, col(Case.tip_id) == col(Tip.id))
    statuses = {
        QueueView.TO_DO: [TipStatus.RECEIVED, TipStatus.AWAITING_OFFICER, TipStatus.ROUTED],
        QueueView.LATE: [TipStatus.ROUTED],
        QueueView.ROUTED: [TipStatus.ROUTED],
        QueueView.CLOSED: [TipStatus.CLOSED],
    }.get(filters.view)
    if statuses is not None:
        query = query.where(col(Tip.status).in_(statuses))
    if filters.view in (QueueView.TO_DO, QueueView.LATE):
        # Routed tips come back only while their case is unacknowledged.
        query = query.where(
            (col(Tip.status) != TipStatus.ROUTED) | col(Case.acknowledged_at).is_(None)
        )
    if filters.channel:
        query = query.where(col(Tip.channel) == filters.channel)
    # Past work (closed, routed, everything) can be long: the most recent is what matters.
    recent_first = filters.view not in (QueueView.TO_DO, QueueView.LATE)
    order = col(Tip.received_at).desc() if recent_first else col(Tip.received_at)
    return query.order_by(order).limit(QUEUE_LIMIT * 4)


def _wanted(item: QueueItem, filters: QueueFilters) -> bool:
    if filters.category and item.triage.category != filters.category:
        return False
    if filters.antenna and item.antenna != filters.antenna:
        return False
    if filters.view == QueueView.TO_DO and item.case is not None:
        return item.escalated
    if filters.view == QueueView.LATE:
        return item.escalated or item.late
    return True


def _item(
    settings: Settings,
    tip: Tip,
    case: Case | None,
    triage: EffectiveTriage,
    escalated: bool,
    claimed_by: str | None,
    now: datetime,
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
    )


def _deadline(
    settings: Settings, tip: Tip, case: Case | None, triage: EffectiveTriage
) -> datetime | None:
    if tip.status == TipStatus.CLOSED:
        return None
    if case is not None:
        return case.ack_deadline if case.acknowledged_at is None else None
    minutes = settings.ack_deadline_minutes(triage.priority or "P3")
    return tip.received_at + timedelta(minutes=minutes) if minutes else None
