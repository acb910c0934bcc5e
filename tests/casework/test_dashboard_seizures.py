"""The dashboard's seizures (quantities by substance, as the chiefs recorded them) and outcomes
per antenna, and its statistics as a CSV file for supervisors: counts and quantities only,
French headers, never a tip's words, reference or source; refused to a duty officer."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from service.models import Reporter, Role
from service.settings import Settings
from tests.support.casework import case_of, received_tip, routed_case
from tests.support.console import create_staff, session_client
from tests.support.inspect import fetch_all

YAMBA = "yamba ka feere Kalaban coura ce soir"
COCAINE = "cocaïne à Ségou chez le boutiquier"

OUTCOMES: dict[str, list[dict[str, Any]]] = {
    "BKO-RD": [
        {"kind": "saisie", "substance": "cannabis", "quantity": 250, "unit": "kg"},
        {"kind": "saisie", "substance": "cannabis", "quantity": 500, "unit": "g"},
        {"kind": "interpellations", "arrests": 2},
    ],
    "SEG": [
        {"kind": "saisie", "substance": "cocaine", "quantity": 1.5, "unit": "kg"},
        {"kind": "sans_suite"},
    ],
}


async def test_seizures_outcomes_per_antenna_and_their_export(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    supervisor = await create_staff(settings, role=Role.SUPERVISOR)
    yamba = await received_tip(app, client, url, YAMBA)  # routed by the rules to BKO-RD
    cocaine = await received_tip(app, client, url, COCAINE)
    async with session_client(app, settings, officer) as http:
        cases = {
            "BKO-RD": str((await case_of(url, yamba.id)).id),
            "SEG": (await routed_case(http, cocaine, "SEG"))["id"],
        }
        refused = await http.get("/console/tableau-de-bord/export.csv")
    for antenna, outcomes in OUTCOMES.items():
        chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna=antenna)
        async with session_client(app, settings, chief) as http:
            for outcome in outcomes:
                answer = await http.post(f"/api/v1/cases/{cases[antenna]}/outcomes", json=outcome)
                assert answer.status_code == 201, answer.text

    async with session_client(app, settings, supervisor) as http:
        stats = (await http.get("/api/v1/dashboard")).json()
        page = await http.get("/console/tableau-de-bord")
        export = await http.get("/console/tableau-de-bord/export.csv", params={"jours": 7})

    assert refused.status_code == 403
    assert stats["seized"] == [
        {"substance": "cannabis", "unit": "kg", "quantity": 250.5, "seizures": 2},
        {"substance": "cocaine", "unit": "kg", "quantity": 1.5, "seizures": 1},
    ]
    assert stats["outcomes_by_antenna"] == [
        {"antenna": "BKO-RD", "by_kind": {"saisie": 2, "interpellations": 1}, "arrests": 2},
        {"antenna": "SEG", "by_kind": {"saisie": 1, "sans_suite": 1}, "arrests": 0},
    ]
    assert page.status_code == 200
    assert "250,5 kg" in page.text
    assert "Résultats par antenne" in page.text

    assert export.status_code == 200
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
    assert export.headers["cache-control"] == "no-store"
    assert export.headers["content-disposition"].startswith('attachment; filename="statistiques-')
    text = export.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Indicateur", "Jour", "Antenne", "Détail", "Unité", "Valeur"]
    assert len({row[1] for row in rows if row[0] == "Signalements reçus"}) == 7
    assert ["Quantité saisie", "", "BKO-RD", "Cannabis", "kg", "250,5"] in rows
    assert ["Quantité saisie", "", "Toutes les antennes", "Cocaïne", "kg", "1,5"] in rows
    assert ["Personnes interpellées", "", "BKO-RD", "", "", "2"] in rows
    assert ["Résultats enregistrés", "", "SEG", "Sans suite", "", "1"] in rows
    pseudonyms = [reporter.pseudonym for reporter in await fetch_all(url, select(Reporter))]
    for secret in (YAMBA, "yamba", "Ségou chez", yamba.reference, cocaine.reference, *pseudonyms):
        assert secret not in text
