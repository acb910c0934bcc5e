"""A hotline operator types a caller's tip in the console and reads its reference out: one tip per
form however often it is sent, entered by that operator, audited without its words.

The intake underneath is tested on both databases (tests/channels); these pages run on SQLite.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from service.access.csrf import CSRF_HEADER
from service.antennas.defaults import seed_antennas
from service.console.navigation import navigation_for
from service.core.db import create_engine, create_sessionmaker, transaction
from service.models import (
    AuditEntry,
    Channel,
    Message,
    OperatorEntry,
    Role,
    Tip,
    TipStatus,
    TriageDecision,
)
from service.settings import Settings
from tests.conftest import make_settings
from tests.support import databases
from tests.support.casework import settle
from tests.support.console import (
    StaffAccount,
    browser_sign_in,
    chromium,
    create_staff,
    free_port,
    live_server,
    record_console_errors,
    session_client,
)
from tests.support.databases import TEST_LIMITS
from tests.support.inspect import fetch_all

ENTRY = "/console/standard/saisie"
TEXT = "Le correspondant signale un dépôt de yamba derrière le marché de Niono, ce soir."
_ENTRY_ID = re.compile(r'name="entry_id" value="([0-9a-f-]{36})"')
_READ_OUT = re.compile(r'<span class="group">([0-9A-Z]+)</span>')


@pytest.fixture
async def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: what these pages add is HTTP, roles and audit, not storage."""
    url = databases.sqlite_copy(sqlite_template, tmp_path)
    engine = create_engine(url, TEST_LIMITS)
    async with transaction(create_sessionmaker(engine)) as session:
        await seed_antennas(session=session)
    await engine.dispose()
    return url


async def _entry_id(http: httpx.AsyncClient) -> str:
    form = await http.get(ENTRY)
    assert form.status_code == 200, form.text
    match = _ENTRY_ID.search(form.text)
    assert match, form.text
    return match.group(1)


async def _operator(settings: Settings) -> StaffAccount:
    return await create_staff(settings, role=Role.OPERATOR)


async def test_the_place_picked_by_the_operator_routes_whatever_town_the_detail_names(
    app: FastAPI, settings: Settings
) -> None:
    operator = await _operator(settings)
    async with session_client(app, settings, operator) as http:
        form = {
            "text": "L'appelant dit qu'un homme vend du yamba chaque soir devant sa boutique.",
            "place": "Bamako",
            "place_detail": "à Sikasso, ils disent",
            "entry_id": await _entry_id(http),
        }
        await http.post(ENTRY, data=form)
    await settle(app)

    [decision] = await fetch_all(settings.resolved_database_url, select(TriageDecision))
    assert (decision.place, decision.antenna) == ("Bamako", "DG")


async def test_an_entered_call_names_its_operator_and_offers_no_question_to_the_caller(
    app: FastAPI, settings: Settings
) -> None:
    operator = await _operator(settings)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with session_client(app, settings, operator) as http:
        form = {"text": TEXT, "place": "Niono, Ségou", "entry_id": await _entry_id(http)}
        await http.post(ENTRY, data=form)
    await settle(app)
    url = settings.resolved_database_url
    [tip] = await fetch_all(url, select(Tip))

    async with session_client(app, settings, officer) as http:
        page = await http.get(f"/console/signalements/{tip.id}")
        refused = await http.post(f"/api/v1/tips/{tip.id}/questions", json={"text": "Où ?"})

    assert page.status_code == 200
    assert f"saisi par {operator.username}" in page.text
    assert 'id="reporter-unreachable"' in page.text
    assert f'action="/console/signalements/{tip.id}/question"' not in page.text
    assert (refused.status_code, refused.json()["error"]) == (409, "reporter_unreachable")
    assert len(await fetch_all(url, select(Message))) == 1  # no question queued


async def test_an_operator_enters_a_call_once_and_is_shown_the_reference_to_read_out(
    app: FastAPI, settings: Settings
) -> None:
    operator = await _operator(settings)
    async with session_client(app, settings, operator) as http:
        form = {"text": TEXT, "place": "Niono, Ségou", "entry_id": await _entry_id(http)}
        first = await http.post(ENTRY, data=form)
        again = await http.post(ENTRY, data=form)  # a double click, a reload
    await settle(app)

    url = settings.resolved_database_url
    [tip] = await fetch_all(url, select(Tip))
    [entry] = await fetch_all(url, select(OperatorEntry))
    audit = await fetch_all(url, select(AuditEntry).where(col(AuditEntry.action) == "tip.entered"))
    assert first.status_code == again.status_code == 200
    assert tip.channel == Channel.HOTLINE
    assert tip.status != TipStatus.RECEIVED  # triaged
    assert entry.staff_user_id == operator.id
    assert _READ_OUT.findall(first.text) == tip.reference.split("-")
    assert tip.reference in again.text
    [entered] = audit
    assert (entered.actor_username, entered.target) == (operator.username, f"tip:{tip.reference}")
    assert "yamba" not in entered.details_json
    assert "Niono" not in entered.details_json


async def test_an_entry_without_the_csrf_token_is_refused(app: FastAPI, settings: Settings) -> None:
    async with session_client(app, settings, await _operator(settings)) as http:
        entry_id = await _entry_id(http)
        del http.headers[CSRF_HEADER]
        refused = await http.post(ENTRY, data={"text": TEXT, "entry_id": entry_id})

    assert refused.status_code == 403
    assert await fetch_all(settings.resolved_database_url, select(Tip)) == []


async def test_an_empty_entry_or_an_unknown_place_is_shown_again_with_a_message(
    app: FastAPI, settings: Settings
) -> None:
    async with session_client(app, settings, await _operator(settings)) as http:
        entry_id = await _entry_id(http)
        empty = await http.post(ENTRY, data={"text": "   ", "entry_id": entry_id})
        nowhere = await http.post(
            ENTRY, data={"text": TEXT, "place": "Atlantis", "entry_id": entry_id}
        )

    assert empty.status_code == nowhere.status_code == 422
    assert "Le signalement est vide" in empty.text
    assert "Choisissez un lieu dans la liste." in nowhere.text
    assert TEXT in nowhere.text  # the operator's typing is not lost
    assert entry_id in nowhere.text
    assert await fetch_all(settings.resolved_database_url, select(Tip)) == []


async def test_operators_find_their_pages_from_home_and_officers_do_not(
    app: FastAPI, settings: Settings
) -> None:
    async with session_client(app, settings, await _operator(settings)) as http:
        home = await http.get("/console")

    assert 'id="voicemails-waiting">0<' in home.text
    for path in (ENTRY, "/console/standard/enregistrements"):
        assert f'href="{path}"' in home.text
        assert path in [item.href for item in navigation_for(Role.SUPERVISOR)]
        assert path not in [item.href for item in navigation_for(Role.DUTY_OFFICER)]


@pytest.mark.browser
async def test_an_operator_signs_in_enters_a_call_and_reads_the_reference(
    tmp_path: Path, database_url: str
) -> None:
    problems: list[str] = []

    settings = make_settings(
        tmp_path, database_url, public_base_url=f"http://127.0.0.1:{free_port()}"
    )
    operator = await _operator(settings)
    async with live_server(settings) as base_url, chromium() as browser:
        page = await (await browser.new_context()).new_page()
        record_console_errors(page, problems)
        await browser_sign_in(page, base_url, operator)
        await page.click("nav >> text=Saisie d'un appel")
        await page.fill("#text", TEXT)
        await page.select_option("#place", "Niono, Ségou")
        await page.click("#enter-tip")
        await page.wait_for_selector("#reference-read-out")
        groups = await page.locator("#reference-read-out .group").all_text_contents()
        reference = await page.text_content("#reference")
        await page.click("#enter-another")
        await page.wait_for_selector("#text")

    [tip] = await fetch_all(database_url, select(Tip))
    assert groups == tip.reference.split("-")
    assert reference == tip.reference
    assert problems == []
