"""An antenna chief's work on a case: acknowledge, set the status, record outcomes, ask the
reporter a question. Officers follow the cases but only chiefs and supervisors act on them."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from service.models import AuditEntry, Case, CaseOutcome, Direction, Message, Role, TipStatus
from service.settings import Settings
from tests.support.casework import received_tip, routed_case, tip_of
from tests.support.console import create_staff, session_client
from tests.support.inspect import fetch_all

DESIGN_TIP = "yamba ka feere Kalaban coura ce soir"


async def _routed(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, antenna: str = "BKO-RD"
) -> tuple[str, str]:
    """A tip routed by an officer to ``antenna``: (case id, tip reference)."""
    tip = await received_tip(app, client, settings.resolved_database_url, DESIGN_TIP)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with session_client(app, settings, officer) as http:
        case = await routed_case(http, tip, antenna)
    return case["id"], tip.reference


async def test_the_chief_acknowledges_a_case_once_and_the_trail_says_who(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    case_id, _reference = await _routed(app, client, settings)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")

    async with session_client(app, settings, chief) as http:
        page = await http.get(f"/console/dossiers/{case_id}")
        acknowledged = await http.post(f"/console/dossiers/{case_id}/accuse")
        first = (await http.get(f"/api/v1/cases/{case_id}")).json()["case"]["acknowledged_at"]
        await http.post(f"/api/v1/cases/{case_id}/acknowledge")
        again = (await http.get(f"/api/v1/cases/{case_id}")).json()["case"]["acknowledged_at"]

    assert 'id="acknowledge-button"' in page.text
    assert DESIGN_TIP in page.text
    assert acknowledged.status_code == 303
    assert first is not None
    assert again == first
    acks = await fetch_all(
        settings.resolved_database_url,
        select(AuditEntry).where(col(AuditEntry.action) == "case.acknowledged"),
    )
    assert [(a.actor_username, a.target) for a in acks] == [(chief.username, f"case:{case_id}")]


async def test_status_moves_through_the_case_life_and_closing_closes_the_tip(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    case_id, reference = await _routed(app, client, settings)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")

    async with session_client(app, settings, chief) as http:
        statuses = []
        for status in ("en_cours", "operation_menee", "clos"):
            response = await http.post(
                f"/console/dossiers/{case_id}/statut", data={"status": status}
            )
            assert response.status_code == 303
            statuses.append((await http.get(f"/api/v1/cases/{case_id}")).json()["case"]["status"])
        refused = await http.post(f"/api/v1/cases/{case_id}/status", json={"status": "archive"})

    assert statuses == ["en_cours", "operation_menee", "clos"]
    assert refused.status_code == 422
    [case] = await fetch_all(url, select(Case))
    assert case.acknowledged_at is not None  # working a case acknowledges it
    assert (await tip_of(url, reference)).status == TipStatus.CLOSED


async def test_outcomes_record_a_seizure_with_substance_and_quantity_and_arrests(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    case_id, _reference = await _routed(app, client, settings)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")

    async with session_client(app, settings, chief) as http:
        seizure = await http.post(
            f"/console/dossiers/{case_id}/resultat",
            data={"kind": "saisie", "substance": "cannabis", "quantity": "12.5", "unit": "kg"},
        )
        arrests = await http.post(
            f"/api/v1/cases/{case_id}/outcomes", json={"kind": "interpellations", "arrests": 3}
        )
        no_quantity = await http.post(
            f"/api/v1/cases/{case_id}/outcomes", json={"kind": "saisie", "substance": "cannabis"}
        )
        page = await http.get(f"/console/dossiers/{case_id}")

    assert seizure.status_code == 303
    assert [o["kind"] for o in arrests.json()["outcomes"]] == ["saisie", "interpellations"]
    assert no_quantity.status_code == 422
    rows = await fetch_all(settings.resolved_database_url, select(CaseOutcome))
    assert sorted((o.kind, o.substance, o.quantity, o.unit, o.arrests) for o in rows) == [
        ("interpellations", None, None, None, 3),
        ("saisie", "cannabis", 12.5, "kg", None),
    ]
    assert "12,5 kg — Cannabis" in page.text  # French decimals (issue 18, item 7)


async def test_the_chief_can_ask_the_reporter_a_question_from_the_case(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    case_id, _reference = await _routed(app, client, settings)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")

    async with session_client(app, settings, chief) as http:
        asked = await http.post(
            f"/console/dossiers/{case_id}/question", data={"text": "La vente a-t-elle lieu ?"}
        )

    assert asked.status_code == 303
    [outbound] = await fetch_all(
        settings.resolved_database_url,
        select(Message).where(col(Message.direction) == Direction.OUTBOUND),
    )
    assert outbound.delivery_status is not None


async def test_officers_follow_cases_but_do_not_act_on_them(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    case_id, reference = await _routed(app, client, settings, antenna="SIK")
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)

    async with session_client(app, settings, officer) as http:
        listed = (await http.get("/api/v1/cases")).json()
        refused = await http.post(f"/api/v1/cases/{case_id}/acknowledge")

    assert [c["reference"] for c in listed["items"]] == [reference]
    assert refused.status_code == 403


async def test_the_case_list_counts_cases_by_status(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    first, _ = await _routed(app, client, settings)
    await _routed(app, client, settings)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")

    async with session_client(app, settings, chief) as http:
        await http.post(f"/api/v1/cases/{first}/status", json={"status": "en_cours"})
        listed = (await http.get("/api/v1/cases")).json()
        in_progress = (await http.get("/api/v1/cases", params={"status": "en_cours"})).json()
        page = await http.get("/console/dossiers")

    assert listed["counts"] == {"nouveau": 1, "en_cours": 1, "operation_menee": 0, "clos": 0}
    assert listed["total"] == 2
    assert [c["id"] for c in in_progress["items"]] == [first]
    assert '<span class="tag" data-status="nouveau">1</span>' in page.text
