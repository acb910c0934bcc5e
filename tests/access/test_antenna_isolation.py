"""Antenna isolation: a chief reads, lists, counts and acts on their antenna's cases only.

Every case route of the console and the API is taken from the route table, so a case route added
later is covered too. Another antenna's case answers exactly like a case that does not exist.
"""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import select
from sqlmodel import col

from service.access.permissions import ROUTE_RULES
from service.models import AuditEntry, Case, CaseOutcome, Direction, Message, Role
from service.settings import Settings
from tests.support.casework import received_tip, routed_case
from tests.support.console import create_staff, session_client
from tests.support.inspect import fetch_all

# Valid bodies, so that only the antenna check can stop the request. The outcome is one that
# leaves the case open (« sans suite » now closes it), so the question after it can still go.
API_BODIES = {
    "acknowledge": None,
    "status": {"status": "en_cours"},
    "outcomes": {"kind": "interpellations", "arrests": 1},
    "questions": {"text": "Pouvez-vous préciser le lieu ?"},
}
FORM_BODIES = {
    "accuse": {},
    "statut": {"status": "en_cours"},
    "resultat": {"kind": "interpellations", "arrests": "1"},
    "question": {"text": "Pouvez-vous préciser le lieu ?"},
}


def case_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route taking a case id, from the application itself."""
    found = []
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if isinstance(route.original_route, APIRoute) and "{case_id}" in path:
            found += [(method, path) for method in sorted((route.methods or set()) - {"HEAD"})]
    return found


# Routes to one thing inside a case. Their own-case answer needs that thing to exist (a
# voicemail, a photo): tests/voicemails/test_voicemail_life.py plays one as the case's chief,
# tests/console/test_tip_files.py shows one; here another antenna's case must still answer 404
# before the thing is even looked for.
SUB_RESOURCES = {"{message_id}", "{file_id}", "{attachment_id}"}


async def _call(http: httpx.AsyncClient, method: str, path: str, case_id: str) -> httpx.Response:
    url = path.replace("{case_id}", case_id)
    for name in SUB_RESOURCES:
        url = url.replace(name, str(uuid.uuid4()))
    action = path.rsplit("/", 1)[-1]
    if method == "GET":
        return await http.get(url)
    if path.startswith("/api/v1"):
        return await http.post(url, json=API_BODIES[action])
    return await http.post(url, data=FORM_BODIES[action])


async def _two_antennas(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> tuple[dict[str, str], dict[str, str]]:
    url = settings.resolved_database_url
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    mine = await received_tip(app, client, url, "yamba ka feere Kalaban coura ce soir")
    theirs = await received_tip(app, client, url, "50 kg de cannabis dans un camion à Koutiala")
    async with session_client(app, settings, officer) as http:
        return await routed_case(http, mine, "BKO-RD"), await routed_case(http, theirs, "SIK")


async def test_every_case_route_answers_404_for_another_antennas_case_and_for_guessed_ids(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    mine, theirs = await _two_antennas(app, client, settings)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")
    routes = case_routes(app)
    assert len(routes) == 13
    assert all(Role.ANTENNA_CHIEF in ROUTE_RULES[route] for route in routes)

    wrong = []
    async with session_client(app, settings, chief) as http:
        for method, path in routes:
            for case_id in (theirs["id"], str(uuid.uuid4())):
                response = await _call(http, method, path, case_id)
                if response.status_code != 404:
                    wrong.append(f"{method} {path} {case_id}: {response.status_code}")
            own = await _call(http, method, path, mine["id"])
            if any(name in path for name in SUB_RESOURCES):
                continue
            if own.status_code not in (200, 201, 303):
                wrong.append(f"{method} {path} on the chief's own case: {own.status_code}")

    assert wrong == []
    cases = {
        case.antenna_code: case
        for case in await fetch_all(settings.resolved_database_url, select(Case))
    }
    assert cases["SIK"].acknowledged_at is None
    assert cases["SIK"].status == "nouveau"
    assert cases["BKO-RD"].acknowledged_at is not None
    outcomes = await fetch_all(settings.resolved_database_url, select(col(CaseOutcome.case_id)))
    assert {str(case_id) for case_id in outcomes} == {mine["id"]}


async def test_another_antennas_case_answers_like_a_case_that_does_not_exist(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    _mine, theirs = await _two_antennas(app, client, settings)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")

    async with session_client(app, settings, chief) as http:
        other = await http.get(f"/api/v1/cases/{theirs['id']}")
        missing = await http.get(f"/api/v1/cases/{uuid.uuid4()}")
        other_page = await http.get(f"/console/dossiers/{theirs['id']}")
        missing_page = await http.get(f"/console/dossiers/{uuid.uuid4()}")

    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert other_page.text == missing_page.text
    assert theirs["reference"] not in other_page.text


async def test_lists_and_counts_hold_only_the_chiefs_antenna(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    mine, theirs = await _two_antennas(app, client, settings)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")

    async with session_client(app, settings, chief) as http:
        listed = (await http.get("/api/v1/cases")).json()
        new_only = (await http.get("/api/v1/cases", params={"status": "nouveau"})).json()
        page = await http.get("/console/dossiers")
        new_page = await http.get("/console/dossiers", params={"statut": "nouveau"})

    assert [c["id"] for c in listed["items"]] == [mine["id"]]
    assert listed["total"] == 1
    assert listed["counts"]["nouveau"] == 1
    assert [c["id"] for c in new_only["items"]] == [mine["id"]]
    for html in (page.text, new_page.text):
        assert mine["reference"] in html
        assert theirs["reference"] not in html
    assert '<span class="tag" data-status="nouveau">1</span>' in page.text


async def test_a_chief_reaches_no_tip_queue_or_dashboard_route(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    _mine, theirs = await _two_antennas(app, client, settings)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")

    async with session_client(app, settings, chief) as http:
        statuses = [
            (await http.get(f"/api/v1/tips/{theirs['tip_id']}")).status_code,
            (await http.get(f"/console/signalements/{theirs['tip_id']}")).status_code,
            (await http.get("/api/v1/queue")).status_code,
            (await http.get("/api/v1/dashboard")).status_code,
            (
                await http.post(f"/api/v1/tips/{theirs['tip_id']}/questions", json={"text": "?"})
            ).status_code,
        ]

    assert statuses == [403] * 5
    outbound = await fetch_all(
        settings.resolved_database_url,
        select(Message).where(col(Message.direction) == Direction.OUTBOUND),
    )
    assert outbound == []
    views = await fetch_all(
        settings.resolved_database_url,
        select(col(AuditEntry.target)).where(
            col(AuditEntry.action).in_(["tip.viewed", "case.viewed"])
        ),
    )
    assert views == []


async def test_a_chief_without_an_antenna_sees_no_case_at_all(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    mine, _theirs = await _two_antennas(app, client, settings)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")
    # An account whose antenna was removed by an administrator: it must not fall back to "all".
    from service.core.db import create_engine, create_sessionmaker, transaction
    from service.models import StaffUser

    engine = create_engine(settings.resolved_database_url, settings)
    async with transaction(create_sessionmaker(engine)) as session:
        user = await session.get(StaffUser, chief.id)
        assert user is not None
        user.antenna_code = None
    await engine.dispose()

    async with session_client(app, settings, chief) as http:
        listed = (await http.get("/api/v1/cases")).json()
        one = await http.get(f"/api/v1/cases/{mine['id']}")

    assert (listed["total"], sum(listed["counts"].values())) == (0, 0)
    assert one.status_code == 404
