"""A period's figures read each tip's latest triage from the period's own rows, and stay exact
for a case routed in the period from a tip that arrived before it."""

from __future__ import annotations

import uuid
from datetime import timedelta

from service.casework.dashboard import dashboard_stats
from service.core.db import create_engine, create_sessionmaker, transaction
from service.models import TriageDecision
from service.models.types import utcnow
from service.settings import Settings
from tests.support.backlog import add_backlog, add_cases
from tests.support.databases import TEST_LIMITS


async def test_priorities_and_categories_follow_the_latest_triage_of_each_tip(
    settings: Settings,
) -> None:
    url, now = settings.resolved_database_url, utcnow()
    # Arrived three weeks ago as P1, routed two days ago: its case is in a 14-day period.
    (early,) = await add_backlog(url, count=1, priority="P1", newest=now - timedelta(days=21))
    await add_cases(url, [early], antenna="SEG", routed=now - timedelta(days=2), closed=True)
    # Arrived an hour ago as P3, decided again as P2 (a further message), then routed.
    (recent,) = await add_backlog(url, count=1, priority="P3", newest=now - timedelta(hours=1))
    engine = create_engine(url, TEST_LIMITS)
    try:
        sessions = create_sessionmaker(engine)
        async with transaction(sessions) as session:
            session.add(_decided_again(recent, priority="P2", category="trafic"))
        await add_cases(
            url, [recent], antenna="SEG", routed=now - timedelta(minutes=30), closed=True
        )
        stats = await dashboard_stats(sessions=sessions, now=now, days=14)
    finally:
        await engine.dispose()

    assert stats.median_ack_minutes == {"P1": 5.0, "P2": 5.0, "P3": None, "P4": None}
    # Tips received in the period only, each under its latest category.
    assert stats.by_category == {"trafic": 1}


def _decided_again(tip_id: uuid.UUID, *, priority: str, category: str) -> TriageDecision:
    return TriageDecision(
        tip_id=tip_id,
        rules_version="again",
        input_digest="again",
        category=category,
        substances=["cannabis"],
        priority=priority,
        flags=[],
        antenna="SEG",
        place=None,
        rules=[],
        hits_ciphertext=b"",
        confident=True,
    )
