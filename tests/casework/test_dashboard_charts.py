"""The dashboard: tips per day by channel, by category, by antenna, time to acknowledgement and
outcomes, drawn as SVG on the server — nothing loaded from another site, no script."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from fastapi import FastAPI

from service.casework.charts import horizontal_bars, stacked_columns
from service.models import Role
from service.models.types import utcnow
from service.settings import Settings
from tests.support.backlog import add_backlog
from tests.support.casework import new_sender, received_tip, routed_case
from tests.support.console import create_staff, session_client
from tests.support.statements import statements_sent


async def test_the_dashboard_counts_tips_cases_acknowledgements_and_outcomes(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="SEG")
    supervisor = await create_staff(settings, role=Role.SUPERVISOR)
    by_sms = await received_tip(app, client, url, "yamba ka feere Kalaban coura ce soir")
    by_whatsapp = await received_tip(
        app, client, url, "cocaïne à Ségou", f"whatsapp:{new_sender()}"
    )
    async with session_client(app, settings, officer) as http:
        await http.post(f"/api/v1/tips/{by_sms.id}/corrections", json={"category": "vente"})
        await http.post(f"/api/v1/tips/{by_whatsapp.id}/corrections", json={"category": "trafic"})
        case = await routed_case(http, by_whatsapp, "SEG")
    async with session_client(app, settings, chief) as http:
        await http.post(f"/api/v1/cases/{case['id']}/acknowledge")
        await http.post(
            f"/api/v1/cases/{case['id']}/outcomes", json={"kind": "interpellations", "arrests": 2}
        )

    async with session_client(app, settings, supervisor) as http:
        stats = (await http.get("/api/v1/dashboard")).json()
        page = await http.get("/console/tableau-de-bord")

    today = stats["days"][-1]
    assert today["day"] == utcnow().date().isoformat()
    assert (today["by_channel"]["sms"], today["by_channel"]["whatsapp"]) == (1, 1)
    assert stats["by_category"] == {"vente": 1, "trafic": 1}
    assert stats["by_antenna"]["SEG"] == 1
    assert stats["ack_buckets"]["lt15m"] == 1
    assert stats["outcomes"] == {"interpellations": 1}
    assert stats["arrests"] == 2
    assert page.status_code == 200
    assert page.text.count("<svg") == 5
    assert "Interpellations : 1" in page.text


async def test_the_dashboard_loads_nothing_from_another_site_and_runs_no_script(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await received_tip(app, client, settings.resolved_database_url, "kush à Banconi")
    admin = await create_staff(settings, role=Role.ADMIN)

    async with session_client(app, settings, admin) as http:
        page = await http.get("/console/tableau-de-bord")

    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text)
    assert urls
    assert all(u.startswith("/") for u in urls)
    assert "<script" not in page.text
    assert re.findall(r"https?://[^\"' ]+", page.text) == ["http://www.w3.org/2000/svg"] * 5


def test_chart_labels_are_escaped() -> None:
    chart = horizontal_bars("<b>titre</b>", {"<script>x</script>": 3})
    columns = stacked_columns("t", [("<i>", {"sms": 1})], [("sms", "<u>SMS</u>")])

    assert "<script>" not in chart
    assert "&lt;script&gt;" in chart
    assert "<b>" not in chart
    assert "<i>" not in columns
    assert "<u>" not in columns


def test_an_empty_period_draws_empty_charts() -> None:
    # Each bar carries its own <title> tooltip; an empty chart has only the chart's title.
    assert horizontal_bars("vide", {}).count("<title>") == 1
    assert stacked_columns("vide", [("01/01", {"sms": 0})], [("sms", "SMS")]).count("<title>") == 1


async def test_the_period_is_chosen_in_days(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    supervisor = await create_staff(settings, role=Role.SUPERVISOR)

    async with session_client(app, settings, supervisor) as http:
        week = (await http.get("/api/v1/dashboard", params={"days": 7})).json()
        refused = await http.get("/api/v1/dashboard", params={"days": 1000})

    assert len(week["days"]) == 7
    assert week["days"][0]["day"] == (utcnow().date() - timedelta(days=6)).isoformat()
    assert refused.status_code == 422


async def test_a_campaigns_tens_of_thousands_of_tips_are_counted_in_sql(
    app: FastAPI, settings: Settings
) -> None:
    """More tips than a statement may bind parameters (32,767): nothing is listed by id."""
    supervisor = await create_staff(settings, role=Role.SUPERVISOR)
    await add_backlog(
        settings.resolved_database_url,
        count=33_000,
        priority="P3",
        newest=utcnow() - timedelta(minutes=1),
        spacing=timedelta(seconds=30),
    )

    async with session_client(app, settings, supervisor) as http:
        with statements_sent(app) as sent:
            stats = (await http.get("/api/v1/dashboard", params={"days": 14})).json()

    assert sum(day["by_channel"]["sms"] for day in stats["days"]) == 33_000
    assert stats["by_category"] == {"vente": 33_000}
    # Aggregates only: no tip, decision or case row is loaded into the process.
    assert not [s for s in sent if "tips.reference" in s or "hits_ciphertext" in s]
