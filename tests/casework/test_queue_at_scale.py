"""The queue over thousands of open tips: sorted and paged in SQL, nothing cut off silently."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx
from fastapi import FastAPI

from service.models import Role, TipStatus
from service.models.types import utcnow
from service.settings import Settings
from tests.support.backlog import add_backlog
from tests.support.casework import received_tip
from tests.support.console import create_staff, session_client

TEXT = "bonjour, des gens louches au marché"
_FIRST_ROW = re.compile(r'class="queue-row[^"]*" data-href="/console/signalements/([0-9a-f-]+)"')


async def test_the_newest_p1_tip_comes_first_behind_more_than_two_thousand_open_tips(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    await add_backlog(url, count=2_100, priority="P3", newest=utcnow() - timedelta(minutes=5))
    urgent = await received_tip(app, client, url, TEXT)
    async with session_client(app, settings, officer) as http:
        corrected = await http.post(
            f"/api/v1/tips/{urgent.id}/corrections", json={"priority": "P1"}
        )
        assert corrected.status_code == 200, corrected.text
        queue = (await http.get("/api/v1/queue")).json()
        page = await http.get("/console/signalements")

    assert queue["items"][0]["reference"] == urgent.reference
    assert queue["items"][0]["priority"] == "P1"
    assert queue["total"] == 2_101
    assert queue["next"] is not None
    assert _FIRST_ROW.search(page.text).group(1) == str(urgent.id)  # type: ignore[union-attr]
    # Written the French way (issue 18, item 7): a narrow no-break space between thousands.
    assert '<span class="tag" id="queue-count">2\u202f101</span>' in page.text
    assert "100 affichés sur 2\u202f101 dans cette vue." in page.text
    assert 'id="queue-next"' in page.text


async def test_the_officer_pages_through_every_waiting_tip_once_most_urgent_first(
    app: FastAPI, settings: Settings
) -> None:
    url = settings.resolved_database_url
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    now = utcnow()
    routine = await add_backlog(url, count=150, priority="P3", newest=now)
    urgent = await add_backlog(url, count=100, priority="P2", newest=now)
    seen: list[str] = []
    async with session_client(app, settings, officer) as http:
        params: dict[str, str] = {}
        while True:
            page = (await http.get("/api/v1/queue", params=params)).json()
            assert page["total"] == 250
            seen += [item["tip_id"] for item in page["items"]]
            if page["next"] is None:
                break
            params = {"after": page["next"]}
        console_first = await http.get("/console/signalements")
        next_href = re.search(r'href="([^"]+)" id="queue-next"', console_first.text)
        assert next_href is not None
        console_second = await http.get(html.unescape(next_href.group(1)))
        forged = await http.get("/api/v1/queue", params={"after": "not-a-cursor"})

    assert len(seen) == len(set(seen)) == 250
    # P2 before P3; within a priority the earliest deadline (the oldest tip) first.
    assert seen == [str(tip) for tip in urgent + routine]
    assert _FIRST_ROW.search(console_second.text).group(1) == seen[100]  # type: ignore[union-attr]
    assert "100 affichés sur 250 dans cette vue." in console_second.text
    assert 'id="queue-first"' in console_second.text
    assert forged.status_code == 422


async def test_past_work_pages_from_the_most_recent(app: FastAPI, settings: Settings) -> None:
    url = settings.resolved_database_url
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    closed = await add_backlog(
        url, count=130, priority="P2", newest=utcnow(), status=TipStatus.CLOSED
    )
    async with session_client(app, settings, officer) as http:
        first = (await http.get("/api/v1/queue", params={"view": "clos"})).json()
        second = (
            await http.get("/api/v1/queue", params={"view": "clos", "after": first["next"]})
        ).json()
    seen = [item["tip_id"] for item in first["items"] + second["items"]]

    assert (first["total"], first["total_is_floor"], second["next"]) == (130, False, None)
    assert seen == [str(tip) for tip in reversed(closed)]
