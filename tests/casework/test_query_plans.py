"""On PostgreSQL, with closed work behind a few open tips and cases, the queue, the case lists
and the periodic sweeps find their rows through the indexes made for them, never a Seq Scan.

At test sizes a Seq Scan is often the cheapest plan, so the plans are asked for with
``enable_seqscan`` off: a statement that still scans a table, or walks an index it cannot seek
in, has no index behind it; at two million tips that is the slow page or the slow sweep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from service.casework.alerts import announce_unalerted_cases
from service.casework.cases import list_cases
from service.casework.escalation import overdue_cases
from service.casework.queue import QueueFilters, QueueView, build_queue
from service.core.db import create_engine, create_sessionmaker
from service.models import Role, StaffUser, TipStatus
from service.models.types import utcnow
from service.settings import Settings
from tests.support.backlog import add_backlog, add_cases

Captured = list[tuple[str, Any]]


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


async def _plans(url: str, statements: Captured) -> list[tuple[str, str]]:
    """EXPLAIN of each SELECT captured, with the parameters it was sent with."""
    engine = create_engine(url)
    plans = []
    try:
        async with engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            await connection.execute(text("SET enable_seqscan = off"))
            for statement, parameters in statements:
                found = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
                plans.append((statement, "\n".join(row[0] for row in found)))
    finally:
        await engine.dispose()
    return plans


async def test_the_queue_case_lists_and_sweeps_read_through_indexes(
    database_url: str, settings: Settings
) -> None:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("query plans are PostgreSQL's")
    await _history(database_url)
    engine = create_engine(database_url)
    captured: Captured = []

    def capture(_c: object, _k: object, statement: str, parameters: Any, *_: object) -> None:
        # Counts by status read every case of an antenna on purpose; the rest must seek.
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and "count(" not in statement:
            captured.append((statement, parameters))

    chief = StaffUser(
        username="chef", role=Role.ANTENNA_CHIEF, antenna_code="BKO-RD", password_hash="x"
    )
    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            now = utcnow()
            for view in (QueueView.TO_DO, QueueView.LATE, QueueView.CLOSED):
                filters = QueueFilters(view=view)
                await build_queue(session=session, settings=settings, filters=filters, now=now)
            await list_cases(session=session, staff=chief)
            await overdue_cases(session=session, now=now)
            await announce_unalerted_cases(session=session, now=now)
            await session.rollback()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
        await engine.dispose()

    plans = await _plans(database_url, captured)
    scans = [
        (statement, plan)
        for statement, plan in plans
        if "Seq Scan on cases" in plan or "Seq Scan on tips" in plan
    ]
    assert scans == []
    assert "ix_cases_unacknowledged" in _plan_of(plans, "FOR UPDATE SKIP LOCKED")
    assert "ix_cases_unacknowledged" in _plan_of(plans, "NOT (EXISTS (SELECT chief_alerts")
    chiefs_list = _plan_of(plans, "ORDER BY cases.created_at DESC")
    assert "ix_cases_antenna_code_created_at" in chiefs_list or "ix_cases_created_at" in chiefs_list
    past = _plan_of(plans, "ORDER BY tips.received_at DESC")
    assert "ix_tips_status_received_at" in past or "ix_tips_received_at" in past


def _plan_of(plans: list[tuple[str, str]], words: str) -> str:
    [plan] = [plan for statement, plan in plans if words in statement]
    return plan
