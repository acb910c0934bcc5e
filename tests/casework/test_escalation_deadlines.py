"""Deadlines: a case not acknowledged in time is marked late and escalated, once per deadline.

Time is controlled: the cron job reads ``ctx["clock"]``, which each test sets.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from service.access.deps import now as request_now
from service.casework import jobs as casework_jobs
from service.casework.jobs import escalate_overdue_cases
from service.core.audit_verification import verify_chain
from service.models import AuditEntry, CaseEscalation, ChiefAlert, Role
from service.settings import Settings
from tests.support.casework import received_tip, routed_case
from tests.support.console import StaffAccount, create_staff, session_client
from tests.support.inspect import fetch_all

TEXT = "bonjour, des gens louches au marché"


def job_ctx(app: FastAPI, at: datetime) -> dict[str, Any]:
    return {"runtime": app.state.runtime, "clock": lambda: at}


async def _routed(
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    officer: StaffAccount,
    *,
    priority: str,
    antenna: str = "BKO-RD",
) -> dict[str, Any]:
    tip = await received_tip(app, client, settings.resolved_database_url, TEXT)
    async with session_client(app, settings, officer) as http:
        await http.post(f"/api/v1/tips/{tip.id}/corrections", json={"priority": priority})
        return await routed_case(http, tip, antenna)


async def test_a_case_past_its_deadline_is_escalated_once_and_shown_late(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    case = await _routed(app, client, settings, officer, priority="P2")
    deadline = datetime.fromisoformat(case["ack_deadline"])
    assert deadline - datetime.fromisoformat(case["created_at"]) == timedelta(hours=2)

    before = await escalate_overdue_cases(job_ctx(app, deadline - timedelta(seconds=1)))
    at_deadline = await escalate_overdue_cases(job_ctx(app, deadline))
    again = await escalate_overdue_cases(job_ctx(app, deadline + timedelta(minutes=5)))

    assert (before, at_deadline, again) == (0, 1, 0)
    [escalation] = await fetch_all(url, select(CaseEscalation))
    assert (str(escalation.case_id), escalation.deadline) == (case["id"], deadline)
    [entry] = await fetch_all(
        url, select(AuditEntry).where(col(AuditEntry.action) == "case.escalated")
    )
    assert (entry.actor_username, entry.target) == (None, f"case:{case['id']}")
    alerts = await fetch_all(url, select(col(ChiefAlert.reason)))
    assert sorted(alerts) == ["escalade", "routage"]
    supervisor = await create_staff(settings, role=Role.SUPERVISOR)
    app.dependency_overrides[request_now] = lambda: deadline + timedelta(minutes=5)
    try:
        async with session_client(app, settings, supervisor) as http:
            listed = (await http.get("/api/v1/cases")).json()["items"]
            queue = (await http.get("/api/v1/queue")).json()["items"]
    finally:
        app.dependency_overrides.clear()
    assert [(c["escalated"], c["late"]) for c in listed] == [(True, True)]
    assert [item["case_id"] for item in queue] == [case["id"]]


async def test_an_acknowledged_case_is_never_escalated(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")
    case = await _routed(app, client, settings, officer, priority="P1")
    async with session_client(app, settings, chief) as http:
        await http.post(f"/api/v1/cases/{case['id']}/acknowledge")

    deadline = datetime.fromisoformat(case["ack_deadline"])
    assert await escalate_overdue_cases(job_ctx(app, deadline + timedelta(hours=1))) == 0
    assert await fetch_all(settings.resolved_database_url, select(CaseEscalation)) == []


async def test_a_p4_case_has_no_deadline_and_never_escalates(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    case = await _routed(app, client, settings, officer, priority="P4")

    assert case["ack_deadline"] is None
    far_future = datetime.fromisoformat(case["created_at"]) + timedelta(days=30)
    assert await escalate_overdue_cases(job_ctx(app, far_future)) == 0


async def test_deadlines_follow_the_configured_minutes(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    created = {}
    for priority in ("P1", "P3"):
        case = await _routed(app, client, settings, officer, priority=priority)
        created[priority] = datetime.fromisoformat(case["ack_deadline"]) - datetime.fromisoformat(
            case["created_at"]
        )

    assert created == {"P1": timedelta(minutes=15), "P3": timedelta(hours=24)}


async def test_rerouting_a_late_case_gives_it_a_fresh_deadline(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    case = await _routed(app, client, settings, officer, priority="P1")
    deadline = datetime.fromisoformat(case["ack_deadline"])
    assert await escalate_overdue_cases(job_ctx(app, deadline + timedelta(minutes=1))) == 1

    async with session_client(app, settings, officer) as http:
        moved = await http.post(f"/api/v1/tips/{case['tip_id']}/route", json={"antenna": "KKR"})
        listed = (await http.get("/api/v1/cases")).json()["items"]

    assert moved.json()["antenna"] == "KKR"
    assert datetime.fromisoformat(moved.json()["ack_deadline"]) > deadline
    assert [(c["antenna"], c["escalated"]) for c in listed] == [("KKR", False)]


async def test_a_backlog_of_late_cases_is_escalated_page_by_page_with_one_chain(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each page is its own short transaction (row locks and the audit lock held briefly); the
    job goes on until a page comes back short, and every escalation is audited in order."""
    monkeypatch.setattr(casework_jobs, "ESCALATION_PAGE", 2)
    url = settings.resolved_database_url
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    cases = [await _routed(app, client, settings, officer, priority="P2") for _ in range(5)]
    late = max(datetime.fromisoformat(case["ack_deadline"]) for case in cases)

    escalated = await escalate_overdue_cases(job_ctx(app, late))

    assert escalated == 5
    assert await escalate_overdue_cases(job_ctx(app, late)) == 0
    targets = await fetch_all(
        url,
        select(col(AuditEntry.target))
        .where(col(AuditEntry.action) == "case.escalated")
        .order_by(col(AuditEntry.sequence)),
    )
    assert sorted(targets) == sorted(f"case:{case['id']}" for case in cases)
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        assert await verify_chain(session=session, keyring=runtime.keyring) is None
