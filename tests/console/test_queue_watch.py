"""Issue 18, item 2: the queue as a duty officer watches it, over HTTP.

A reporter's answer to a question marks the tip « réponse reçue »: first in the queue of the
officer who asked (above the P1s), first of its priority for the others, until the asker opens
it. The page's refresh (its list alone) counts what waits in the tab's title and raises the P1
banner; it holds the session's idle limit off only when its tab is visible.
"""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlmodel import col

from service.access.auth import TAB_HEADER
from service.models import Role, StaffSession, Tip
from service.models.types import utcnow
from service.settings import Settings
from service.staff.sessions import hash_session_token
from tests.console.test_queue_page import _tip_with_priority
from tests.support.app import http_client
from tests.support.backlog import add_backlog
from tests.support.casework import new_sender, send_sms, settle
from tests.support.console import create_staff, open_session_token, session_client, use_session
from tests.support.inspect import execute, fetch_all

REFRESH = "/console/signalements/actualisation"


async def _order(http: httpx.AsyncClient) -> list[tuple[str, bool, bool]]:
    items = (await http.get("/api/v1/queue")).json()["items"]
    return [(i["reference"], i["answer_received"], i["answer_for_you"]) for i in items]


async def test_an_answer_comes_first_for_its_asker_and_first_of_its_priority_for_others(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    asker = await create_staff(settings, role=Role.DUTY_OFFICER)
    other = await create_staff(settings, role=Role.DUTY_OFFICER)
    source = new_sender()
    older = await _tip_with_priority(app, client, settings, asker, "P3")
    asked = await _tip_with_priority(app, client, settings, asker, "P3", sender=source)
    urgent = await _tip_with_priority(app, client, settings, asker, "P1")
    async with session_client(app, settings, asker) as http:
        question = await http.post(
            f"/api/v1/tips/{asked.id}/questions", json={"text": "Quel marché ?"}
        )
        assert question.status_code == 201, question.text
        before = await _order(http)
    await send_sms(client, sender=source, body="Le marché de Banconi, le soir.")
    await settle(app)

    async with (
        session_client(app, settings, asker) as mine,
        session_client(app, settings, other) as theirs,
    ):
        for_asker, for_other = await _order(mine), await _order(theirs)
        queue_page = await mine.get("/console/signalements")
        tip_page = await mine.get(f"/console/signalements/{asked.id}")
        after_reading = await _order(mine), await _order(theirs)

    a, o, u = asked.reference, older.reference, urgent.reference
    assert before == [(u, False, False), (o, False, False), (a, False, False)]
    assert for_asker == [(a, True, True), (u, False, False), (o, False, False)]
    assert for_other == [(u, False, False), (a, True, False), (o, False, False)]
    row = re.search(
        rf'<tr class="queue-row[^"]*answered[^"]*".*?{a}.*?</tr>', queue_page.text, re.S
    )
    assert row is not None
    assert "« réponse reçue »" in row.group(0)
    assert 'id="answer-received"' in tip_page.text  # shown on the view that reads it…
    unlifted = [(u, False, False), (o, False, False), (a, False, False)]
    assert after_reading == (unlifted, unlifted)  # …and no more after


async def test_the_refresh_counts_what_waits_in_the_title_and_raises_the_p1_banner(
    app: FastAPI, settings: Settings
) -> None:
    url = settings.resolved_database_url
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    await add_backlog(url, count=2, priority="P3", newest=utcnow())
    [urgent_id] = await add_backlog(url, count=1, priority="P1", newest=utcnow())
    [urgent] = await fetch_all(url, select(Tip).where(col(Tip.id) == urgent_id))

    async with session_client(app, settings, officer) as http:
        page = await http.get("/console/signalements", params={"fait": "routed"})
        past = await http.get(REFRESH, params={"vue": "clos"}, headers={TAB_HEADER: "visible"})

    assert "<title>(3) File de triage — " in page.text
    assert f'data-refresh="{REFRESH}"' in page.text  # what was done is not said again
    banner = re.search(
        r'<div class="p1-alert" id="p1-alert" role="alert"[^>]*>.*?</div>', page.text, re.S
    )
    assert banner is not None
    assert urgent.reference in banner.group(0)
    assert f'data-tips="{urgent_id}"' in banner.group(0)
    # The list alone, for the page's script: a closed view, still counting what waits.
    assert past.status_code == 200
    assert past.headers["cache-control"] == "no-store"
    assert "<html" not in past.text
    assert 'id="queue-live"' in past.text
    assert 'data-title="(3) File de triage — ' in past.text
    assert f'data-refresh="{REFRESH}?vue=clos"' in past.text
    assert 'id="p1-alert"' in past.text


async def _last_seen(settings: Settings, token: str) -> timedelta:
    [seen] = await fetch_all(
        settings.resolved_database_url,
        select(col(StaffSession.last_seen_at)).where(
            col(StaffSession.token_hash) == hash_session_token(token)
        ),
    )
    idle: timedelta = utcnow() - seen
    return idle


async def _idle_for(settings: Settings, token: str, minutes: int) -> None:
    await execute(
        settings.resolved_database_url,
        update(StaffSession)
        .where(col(StaffSession.token_hash) == hash_session_token(token))
        .values(last_seen_at=utcnow() - timedelta(minutes=minutes)),
    )


async def test_a_refresh_holds_the_idle_limit_off_only_from_a_visible_tab(
    app: FastAPI, settings: Settings
) -> None:
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    token = await open_session_token(settings, officer)
    idle = settings.console_session_idle_minutes

    async with http_client(app) as http:
        use_session(http, token)
        await _idle_for(settings, token, idle - 10)
        hidden = await http.get(REFRESH, headers={TAB_HEADER: "hidden"})
        after_hidden = await _last_seen(settings, token)
        visible = await http.get(REFRESH, headers={TAB_HEADER: "visible"})
        after_visible = await _last_seen(settings, token)
        await _idle_for(settings, token, idle + 1)
        forgotten = await http.get(REFRESH, headers={TAB_HEADER: "hidden"})

    assert (hidden.status_code, visible.status_code) == (200, 200)
    assert after_hidden > timedelta(minutes=idle - 11)  # not touched
    assert after_visible < timedelta(minutes=1)  # touched: the officer is watching
    assert forgotten.status_code == 303
    assert forgotten.headers["location"].startswith("/console/connexion")
