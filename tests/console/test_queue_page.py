"""The duty officers' queue: priority then age, the time left before each deadline, filters,
escalated cases brought back, keyboard shortcuts from a local script."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from service.access.deps import now as request_now
from service.models import Role, Tip
from service.models.types import utcnow
from service.settings import Settings
from tests.support.casework import new_sender, received_tip, routed_case
from tests.support.console import StaffAccount, create_staff, session_client

TEXT = "bonjour, des gens louches au marché"


@pytest.fixture
def clock(app: FastAPI) -> Iterator[list[datetime]]:
    """The time the console's requests see; a test moves it forward."""
    held = [utcnow()]
    app.dependency_overrides[request_now] = lambda: held[0]
    yield held
    app.dependency_overrides.pop(request_now, None)


async def _tip_with_priority(
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    officer: StaffAccount,
    priority: str,
    body: str = TEXT,
    sender: str | None = None,
) -> Tip:
    tip = await received_tip(app, client, settings.resolved_database_url, body, sender)
    async with session_client(app, settings, officer) as http:
        await http.post(f"/api/v1/tips/{tip.id}/corrections", json={"priority": priority})
    return tip


async def test_the_queue_is_sorted_by_priority_then_age(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    low = await _tip_with_priority(app, client, settings, officer, "P3")
    old_urgent = await _tip_with_priority(app, client, settings, officer, "P1")
    new_urgent = await _tip_with_priority(app, client, settings, officer, "P1")

    async with session_client(app, settings, officer) as http:
        queue = (await http.get("/api/v1/queue")).json()
        page = await http.get("/console/signalements")

    order = [old_urgent.reference, new_urgent.reference, low.reference]
    assert [item["reference"] for item in queue["items"]] == order
    positions = [page.text.index(reference) for reference in order]
    assert positions == sorted(positions)


async def test_each_tip_shows_the_time_left_before_its_deadline_then_how_late_it_is(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, clock: list[datetime]
) -> None:
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    tip = await _tip_with_priority(app, client, settings, officer, "P1")

    async with session_client(app, settings, officer) as http:
        clock[0] = tip.received_at + timedelta(minutes=5)
        early = (await http.get("/api/v1/queue")).json()["items"][0]
        early_page = await http.get("/console/signalements")
        clock[0] = tip.received_at + timedelta(minutes=27)
        late = (await http.get("/api/v1/queue")).json()["items"][0]
        late_page = await http.get("/console/signalements")

    assert (early["seconds_left"], early["late"]) == (600, False)
    assert "reste 10 min" in early_page.text
    assert (late["seconds_left"], late["late"]) == (-720, True)
    assert "en retard de 12 min" in late_page.text


async def test_filters_by_channel_category_antenna_and_status(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    by_sms = await received_tip(app, client, url, TEXT)
    by_whatsapp = await received_tip(app, client, url, TEXT, f"whatsapp:{new_sender()}")
    spam = await received_tip(app, client, url, "gagnez de l'argent facile")
    async with session_client(app, settings, officer) as http:
        await http.post(
            f"/api/v1/tips/{by_sms.id}/corrections", json={"category": "vente", "antenna": "SIK"}
        )
        await http.post(f"/api/v1/tips/{spam.id}/close", json={"reason": "spam"})

        async def references(**params: str) -> set[str]:
            found = (await http.get("/api/v1/queue", params=params)).json()["items"]
            return {item["reference"] for item in found}

        assert await references(channel="whatsapp") == {by_whatsapp.reference}
        assert await references(channel="sms") == {by_sms.reference}
        assert await references(category="vente") == {by_sms.reference}
        assert await references(antenna="SIK") == {by_sms.reference}
        assert await references(view="clos") == {spam.reference}
        assert await references() == {by_sms.reference, by_whatsapp.reference}
        page = await http.get("/console/signalements", params={"canal": "whatsapp"})
        refused = await http.get("/api/v1/queue", params={"channel": "pigeon"})

    assert by_whatsapp.reference in page.text
    assert by_sms.reference not in page.text
    assert refused.status_code == 422


async def test_a_routed_case_leaves_the_queue_and_comes_back_when_escalated(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    from service.casework.jobs import escalate_overdue_cases

    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    tip = await _tip_with_priority(app, client, settings, officer, "P1")
    async with session_client(app, settings, officer) as http:
        case = await routed_case(http, tip, "BKO-RD")
        before = (await http.get("/api/v1/queue")).json()["items"]
        deadline = datetime.fromisoformat(case["ack_deadline"])
        ctx = {"runtime": app.state.runtime, "clock": lambda: deadline + timedelta(seconds=1)}
        assert await escalate_overdue_cases(ctx) == 1
        after = (await http.get("/api/v1/queue")).json()["items"]
        late_view = (await http.get("/api/v1/queue", params={"view": "en_retard"})).json()
        page = await http.get("/console/signalements")

    assert before == []
    [item] = after
    assert (item["reference"], item["escalated"], item["case_id"]) == (
        tip.reference,
        True,
        case["id"],
    )
    assert [i["reference"] for i in late_view["items"]] == [tip.reference]
    assert "Escaladé" in page.text


async def test_keyboard_shortcuts_come_from_a_local_script_not_an_inline_one(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    await received_tip(app, client, settings.resolved_database_url, TEXT)

    async with session_client(app, settings, officer) as http:
        page = await http.get("/console/signalements")
        script = await http.get("/console/static/shortcuts.js")

    assert re.findall(r"<script[^>]*>", page.text) == [
        '<script src="/console/static/shortcuts.js" defer>',
        '<script src="/console/static/queue_watch.js" defer>',
    ]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert script.status_code == 200
    assert 'key === "j"' in script.text
    assert "data-href" in script.text
    assert 'data-href="/console/signalements/' in page.text
