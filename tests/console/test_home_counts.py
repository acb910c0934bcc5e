"""A home page for staff (issue 18, item 5): each role sees what waits, what is late and what is
its own, counted, each count a link to the list it counts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from service.access.deps import now as request_now
from service.models import Role
from service.models.types import utcnow
from service.settings import Settings
from tests.conftest import make_settings
from tests.support.browser_tips import api_as, phone_page, route, send_tip
from tests.support.casework import received_tip, routed_case
from tests.support.console import (
    browser_sign_in,
    chromium,
    create_staff,
    free_port,
    live_server,
    session_client,
)

TEXTS = (
    "un gendarme vend du yamba derrière le marché de Banconi",
    "un policier garde la cocaïne au rond-point de Lafiabougou",
    "un douanier laisse passer des comprimés à Kati",
)
_TILE = re.compile(r'id="home-(\w+)" class="tile[^"]*"><span class="count">(\d+)</span>')


def _tiles(html: str) -> dict[str, int]:
    return {name: int(count) for name, count in _TILE.findall(html)}


@pytest.fixture
def clock(app: FastAPI) -> Iterator[list[datetime]]:
    held = [utcnow()]
    app.dependency_overrides[request_now] = lambda: held[0]
    yield held
    app.dependency_overrides.pop(request_now, None)


async def test_each_role_counts_what_waits_what_is_late_and_what_is_its_own(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, clock: list[datetime]
) -> None:
    url = settings.resolved_database_url
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")
    auditor = await create_staff(settings, role=Role.AUDITOR)
    tips = [await received_tip(app, client, url, text) for text in TEXTS]
    async with session_client(app, settings, officer) as http:
        await routed_case(http, tips[0], "BKO-RD")
        await http.post(f"/api/v1/tips/{tips[1].id}/claim")
    clock[0] = utcnow() + timedelta(days=2)  # the routed case is past its deadline
    async with session_client(app, settings, officer) as http:
        officer_home = await http.get("/console")
    async with session_client(app, settings, chief) as http:
        chief_home = await http.get("/console")
    async with session_client(app, settings, auditor) as http:
        auditor_home = await http.get("/console")

    # Two tips wait for an officer (one of them mine), the routed one is late.
    assert _tiles(officer_home.text) == {"waiting": 2, "late": 1, "mine": 1}
    assert 'href="/console/signalements?vue=en_retard" id="home-late" class="tile alarming"' in (
        officer_home.text
    )
    assert _tiles(chief_home.text) == {"waiting": 1, "late": 1, "mine": 1}
    assert 'href="/console/dossiers?statut=nouveau" id="home-waiting"' in chief_home.text
    assert _tiles(auditor_home.text) == {}
    assert auditor_home.status_code == 200


@pytest.mark.browser
async def test_an_officer_on_a_phone_goes_from_the_home_count_to_the_tips_it_counts(
    tmp_path: Path, database_url: str
) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(tmp_path, database_url, public_base_url=base)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with live_server(settings) as base_url, chromium() as browser:
        waiting = await send_tip(settings, base_url, TEXTS[0])
        routed = await send_tip(settings, base_url, TEXTS[1])
        async with api_as(settings, base_url, officer) as http:
            await route(http, routed, "BKO-RD")
        page = await phone_page(browser)
        await browser_sign_in(page, base_url, officer)
        count = await page.text_content("#home-waiting .count")
        await page.click("#home-waiting")
        queue = await page.text_content("#queue") or ""

    assert count == "1"
    assert waiting.reference in queue
    assert routed.reference not in queue
