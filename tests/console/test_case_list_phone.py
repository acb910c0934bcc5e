"""A chief's case list that works (issue 18, item 4): open cases by default and closed ones on
request; the status follows the outcome recorded (« sans suite » is not « nouveau »); usable on a
390 px phone screen, with references whole on one line."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Page

from service.models import Role
from service.settings import Settings
from tests.conftest import make_settings
from tests.support.browser_tips import api_as, fits_the_width, phone_page, route, send_tip
from tests.support.casework import received_tip, routed_case
from tests.support.console import (
    browser_sign_in,
    chromium,
    create_staff,
    free_port,
    live_server,
    session_client,
)

# Public agents named: the rules leave these to a duty officer, who routes them.
TEXTS = (
    "un gendarme vend du yamba derrière le marché de Banconi",
    "un policier garde la cocaïne au rond-point de Lafiabougou",
    "un douanier laisse passer des comprimés à Kati",
)


async def _reference_on_one_line(page: Page, selector: str) -> bool:
    return bool(
        await page.evaluate(
            """(selector) => [...document.querySelectorAll(selector)].every((node) => {
                const box = node.getBoundingClientRect();
                const line = parseFloat(getComputedStyle(node).lineHeight) || 20;
                return node.getClientRects().length === 1 && box.height < line * 1.5
                    && box.right <= window.innerWidth;
            })""",
            selector,
        )
    )


@pytest.mark.browser
async def test_a_chief_on_a_phone_sees_open_cases_and_closes_one_with_its_outcome(
    tmp_path: Path, database_url: str
) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(tmp_path, database_url, public_base_url=base)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")
    async with live_server(settings) as base_url, chromium() as browser:
        tips = [await send_tip(settings, base_url, text) for text in TEXTS]
        async with api_as(settings, base_url, officer) as http:
            case_ids = [await route(http, tip, "BKO-RD") for tip in tips]
        page = await phone_page(browser)
        await browser_sign_in(page, base_url, chief)

        await page.goto(f"{base_url}/console/dossiers/{case_ids[0]}")
        case_fits = await fits_the_width(page)
        await page.select_option("select[name=kind]", "sans_suite")
        await page.click("form[action$='/resultat'] button[type=submit]")
        await page.wait_for_selector("text=Résultat enregistré.")
        status_after = await page.text_content("#case-status") or ""

        await page.goto(f"{base_url}/console/dossiers")
        open_list = await page.text_content("#cases") or ""
        list_fits = await fits_the_width(page)
        whole_references = await _reference_on_one_line(page, "#cases .reference")
        home_fits = await _fits(page, f"{base_url}/console")
        await page.goto(f"{base_url}/console/dossiers")
        await page.click("a[href='/console/dossiers?statut=clos']")
        closed_list = await page.text_content("#cases") or ""

    assert case_fits
    assert status_after.strip() == "Clos"
    assert tips[0].reference not in open_list
    assert tips[1].reference in open_list
    assert tips[2].reference in open_list
    assert list_fits
    assert whole_references
    assert home_fits
    assert tips[0].reference in closed_list
    assert tips[1].reference not in closed_list


async def _fits(page: Page, url: str) -> bool:
    await page.goto(url)
    return await fits_the_width(page)


async def test_the_status_follows_the_outcome_and_never_goes_back(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")
    seized = await received_tip(app, client, url, TEXTS[0])
    closed = await received_tip(app, client, url, TEXTS[1])
    async with session_client(app, settings, officer) as http:
        seizure_case = (await routed_case(http, seized, "BKO-RD"))["id"]
        closed_case = (await routed_case(http, closed, "BKO-RD"))["id"]
    async with session_client(app, settings, chief) as http:
        await http.post(
            f"/api/v1/cases/{seizure_case}/outcomes",
            json={"kind": "saisie", "substance": "cannabis", "quantity": 250.5, "unit": "kg"},
        )
        await http.post(f"/api/v1/cases/{closed_case}/status", json={"status": "clos"})
        await http.post(
            f"/api/v1/cases/{closed_case}/outcomes", json={"kind": "interpellations", "arrests": 2}
        )
        statuses = [
            (await http.get(f"/api/v1/cases/{case}")).json()["case"]["status"]
            for case in (seizure_case, closed_case)
        ]
        default = await http.get("/console/dossiers")
        everything = await http.get("/console/dossiers?statut=tous")

    assert statuses == ["operation_menee", "clos"]
    assert seized.reference in default.text
    assert closed.reference not in default.text
    assert closed.reference in everything.text
    assert '<span class="tag" data-status="ouverts">1</span>' in default.text
