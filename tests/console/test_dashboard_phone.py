"""On a 390 px phone, in Chromium: a supervisor reads the seizures and outcomes per antenna on
the dashboard, on the tip's page why the rules decided, as French sentences of the rules file,
and on the case the same report sent again a moment later (issue 18, items 7, 8 and 9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.models import Role
from tests.conftest import make_settings
from tests.support.browser_tips import api_as, fits_the_width, phone_page, send_tip
from tests.support.casework import case_of
from tests.support.console import browser_sign_in, chromium, create_staff, free_port, live_server
from triage import load_ruleset

FIRST = "yamba ka feere Kalaban coura ce soir"
AGAIN = "il y a du yamba qui se vend a Kalaban Coura ce soir"
SEIZURE = {"kind": "saisie", "substance": "cannabis", "quantity": 250.5, "unit": "kg"}


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # pages, not storage
async def test_a_supervisor_on_a_phone_reads_the_seizures_and_the_rules_sentences(
    tmp_path: Path, database_url: str
) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(
        tmp_path, database_url, public_base_url=base, duplicate_join_minutes=30
    )
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")
    supervisor = await create_staff(settings, role=Role.SUPERVISOR)
    async with live_server(settings) as base_url, chromium() as browser:
        tip = await send_tip(settings, base_url, FIRST)
        case = await case_of(database_url, tip.id)  # routed by the rules
        await send_tip(settings, base_url, AGAIN)  # joins that case
        async with api_as(settings, base_url, chief) as http:
            recorded = await http.post(f"/api/v1/cases/{case.id}/outcomes", json=SEIZURE)
        page = await phone_page(browser)
        await browser_sign_in(page, base_url, supervisor)

        await page.goto(f"{base_url}/console/tableau-de-bord")
        seizures = await page.inner_text("#seizures")
        by_antenna = await page.inner_text("#outcomes-by-antenna")
        dashboard_fits = await fits_the_width(page)
        export = await page.get_attribute("#export-csv", "href")
        # On a desk's screen the same tables stay inside their cards.
        await page.set_viewport_size({"width": 1280, "height": 860})
        spilling = await page.evaluate(
            """[...document.querySelectorAll('.card table')].filter((table) =>
                table.getBoundingClientRect().right
                    > table.closest('.card').getBoundingClientRect().right + 1
            ).map((table) => table.closest('.card').id)"""
        )
        await page.set_viewport_size({"width": 390, "height": 844})

        await page.goto(f"{base_url}/console/signalements/{tip.id}")
        tip_page = await page.inner_text("main")

        await page.goto(f"{base_url}/console/dossiers/{case.id}")
        case_page = await page.inner_text("main")
        case_fits = await fits_the_width(page)

    assert recorded.status_code == 201
    assert "Cannabis" in seizures
    assert "250,5 kg" in seizures
    assert "BKO-RD" in by_antenna
    assert dashboard_fits
    assert spilling == []
    assert export == "/console/tableau-de-bord/export.csv?jours=14"
    rules = load_ruleset()
    assert rules.explain("sub.cannabis") in tip_page
    assert rules.explain("route.place") in tip_page
    assert "sub.cannabis" not in tip_page
    assert FIRST in case_page
    assert AGAIN in case_page
    assert case_fits
