"""Find and page (issue 18, item 3): the queue's search box finds a tip by its reference (typed
as people type it) and a source's tips by pseudonym; « mes signalements » lists what this
officer has claimed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from service.models import Reporter, Role
from service.settings import Settings
from tests.conftest import make_settings
from tests.support.browser_tips import send_tip
from tests.support.casework import new_sender, received_tip
from tests.support.console import (
    browser_sign_in,
    chromium,
    create_staff,
    free_port,
    live_server,
    session_client,
)
from tests.support.inspect import fetch_all

TEXT = "un gendarme vend du yamba derrière le marché de Banconi"
OTHER = "un policier garde la cocaïne au rond-point de Lafiabougou"


@pytest.mark.browser
async def test_an_officer_types_a_reference_in_the_queue_and_lands_on_the_tip(
    tmp_path: Path, database_url: str
) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(tmp_path, database_url, public_base_url=base)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with live_server(settings) as base_url, chromium() as browser:
        tip = await send_tip(settings, base_url, TEXT)
        await send_tip(settings, base_url, OTHER)
        page = await (await browser.new_context(java_script_enabled=False)).new_page()
        await browser_sign_in(page, base_url, officer)
        await page.goto(f"{base_url}/console/signalements")
        # Read over the phone: lower case, spaces instead of dashes.
        await page.fill("#search-query", tip.reference.lower().replace("-", " "))
        await page.click("#queue-search button[type=submit]")
        landed = page.url
        direct = await page.goto(
            f"{base_url}/console/signalements?q={tip.reference}", wait_until="load"
        )

    assert landed == f"{base_url}/console/signalements/{tip.id}"
    assert direct is not None
    assert direct.url == f"{base_url}/console/signalements/{tip.id}"


async def test_a_pseudonym_lists_the_sources_tips_and_nonsense_finds_nothing(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    sender = new_sender()
    first = await received_tip(app, client, url, TEXT, sender)
    stranger = await received_tip(app, client, url, OTHER)
    [pseudonym] = await fetch_all(
        url, select(col(Reporter.pseudonym)).where(col(Reporter.id) == first.reporter_id)
    )
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with session_client(app, settings, officer) as http:
        by_pseudonym = await http.get("/console/signalements", params={"q": pseudonym.lower()})
        unknown = await http.get("/console/signalements", params={"q": "OCS-2222-2222"})
        nonsense = await http.get("/console/signalements", params={"q": "<script>"})

    assert by_pseudonym.status_code == 200
    assert f'href="/console/signalements/{first.id}"' in by_pseudonym.text
    assert stranger.reference not in by_pseudonym.text
    assert unknown.status_code == 200
    assert 'id="search-results"' not in unknown.text
    assert nonsense.status_code == 200
    assert "<script>" not in nonsense.text


async def test_my_tips_are_those_i_claimed(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    mine = await received_tip(app, client, url, TEXT)
    theirs = await received_tip(app, client, url, OTHER)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    colleague = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with (
        session_client(app, settings, officer) as http,
        session_client(app, settings, colleague) as other,
    ):
        await http.post(f"/api/v1/tips/{mine.id}/claim")
        await other.post(f"/api/v1/tips/{theirs.id}/claim")
        page = await http.get("/console/signalements", params={"vue": "mes_signalements"})
        api = (await http.get("/api/v1/queue", params={"view": "mes_signalements"})).json()

    assert mine.reference in page.text
    assert theirs.reference not in page.text
    assert [item["reference"] for item in api["items"]] == [mine.reference]
    assert api["total"] == 1
