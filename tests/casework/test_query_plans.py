"""On PostgreSQL, with closed work behind a few open tips and cases, the queue, the case lists,
the periodic sweeps and triage's look-up of open cases a repeated report may join find their
rows through the indexes made for them, never a Seq Scan (``tests.support.plans`` says how the
plans are asked for)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy.engine import make_url

from crypto import load_keyring
from service.casework.alerts import announce_unalerted_cases, unacknowledged_counts
from service.casework.cases import list_cases
from service.casework.escalation import overdue_cases
from service.casework.queue import QueueFilters, QueueView, build_queue
from service.core.db import create_engine, create_sessionmaker
from service.decisions.joining import open_cases_nearby
from service.decisions.store import BatchTexts
from service.models import Role, StaffUser, TipStatus
from service.models.types import utcnow
from service.settings import Settings
from tests.support.backlog import add_backlog, add_cases
from tests.support.databases import TEST_LIMITS
from tests.support.plans import capturing_selects, plan_of, plans_of


async def _history(url: str) -> None:
    """3,000 closed tips and cases, then 60 tips waiting and 20 cases awaiting their chief."""
    now = utcnow()
    closed = await add_backlog(
        url, count=3_000, priority="P3", newest=now - timedelta(days=1), status=TipStatus.CLOSED
    )
    for antenna, tips in (("BKO-RD", closed[::2]), ("SEG", closed[1::2])):
        await add_cases(url, tips, antenna=antenna, routed=now - timedelta(days=1), closed=True)
    await add_backlog(url, count=60, priority="P2", newest=now)
    routed = await add_backlog(url, count=20, priority="P1", newest=now, status=TipStatus.ROUTED)
    await add_cases(url, routed, antenna="SIK", routed=now - timedelta(days=2))


async def test_the_queue_case_lists_and_sweeps_read_through_indexes(
    database_url: str, settings: Settings
) -> None:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("query plans are PostgreSQL's")
    await _history(database_url)
    engine = create_engine(database_url, TEST_LIMITS)
    chief = StaffUser(
        username="chef", role=Role.ANTENNA_CHIEF, antenna_code="BKO-RD", password_hash="x"
    )
    # Counts by status read every case of an antenna on purpose; the rest must seek.
    try:
        with capturing_selects(engine) as captured:
            async with create_sessionmaker(engine)() as session, session.begin():
                now = utcnow()
                for view in (QueueView.TO_DO, QueueView.LATE, QueueView.CLOSED):
                    filters = QueueFilters(view=view)
                    await build_queue(session=session, settings=settings, filters=filters, now=now)
                await list_cases(session=session, staff=chief)
                await overdue_cases(session=session, now=now)
                await announce_unalerted_cases(session=session, now=now)
                assert await unacknowledged_counts(session=session, antenna_code="SIK") == (20, 20)
                await open_cases_nearby(
                    session=session,
                    texts=BatchTexts(load_keyring(settings.resolved_keyring_path)),
                    antennas={"SIK", "BKO-RD"},
                    since=now - timedelta(minutes=settings.duplicate_join_minutes),
                    excluded=set(),
                    facts={("SIK", "Médine", ("cannabis",)), ("BKO-RD", "Badalabougou", ())},
                )
                await session.rollback()
    finally:
        await engine.dispose()

    plans = await plans_of(database_url, captured)
    scans = [
        (statement, plan)
        for statement, plan in plans
        if "Seq Scan on cases" in plan or "Seq Scan on tips" in plan
    ]
    assert scans == []
    assert "ix_cases_unacknowledged" in plan_of(plans, "FOR UPDATE SKIP LOCKED")
    assert "ix_cases_unacknowledged" in plan_of(plans, "NOT (EXISTS (SELECT chief_alerts")
    chiefs_list = plan_of(plans, "ORDER BY cases.created_at DESC")
    assert "ix_cases_antenna_code_created_at" in chiefs_list or "ix_cases_created_at" in chiefs_list
    # Open cases a repeated report may join: entered through the decisions made at the batch's
    # places since the window opened, every other index sought by a key, none walked; whether a
    # tip has a newer decision is one seek, not an intersection with the window's decisions.
    joinable = plan_of(plans, "FROM recent JOIN cases")
    assert "Seq Scan" not in joinable
    recent = joinable.split("CTE recent")[1].split("\n  ->")[0]
    assert re.search(r"Index Cond: .*created_at >=", recent)
    assert all(_sought(node) for node in joinable.split("->")[1:] if "Index" in node)
    assert re.search(
        r"ix_triage_decisions_tip_id_created_at .*\n.*Index Cond: .*tip_id = .*created_at >",
        joinable,
    )
    past = plan_of(plans, "ORDER BY tips.received_at DESC")
    assert "ix_tips_status_received_at" in past or "ix_tips_received_at" in past


def _sought(plan_node: str) -> bool:
    """An index scan node with a condition to seek on, not a walk of the whole index."""
    return "Scan using" not in plan_node or "Index Cond:" in plan_node
