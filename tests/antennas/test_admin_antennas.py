"""Antennas (operational flag, fallback) by admins and supervisors; the rules version in force."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from service.models import Antenna, AuditEntry, Role
from service.settings import Settings
from tests.support.console import create_staff, session_client
from tests.support.inspect import fetch_all


async def _antenna(settings: Settings, code: str) -> Antenna:
    antennas: list[Antenna] = await fetch_all(
        settings.resolved_database_url, select(Antenna).where(col(Antenna.code) == code)
    )
    return antennas[0]


async def _other_code(settings: Settings, code: str) -> str:
    antennas: list[Antenna] = await fetch_all(settings.resolved_database_url, select(Antenna))
    return next(antenna.code for antenna in antennas if antenna.code != code)


async def test_a_supervisor_takes_an_antenna_out_of_service_with_a_fallback(
    app: FastAPI, settings: Settings
) -> None:
    supervisor = await create_staff(settings, role=Role.SUPERVISOR)
    fallback = await _other_code(settings, "BKO-RD")
    async with session_client(app, settings, supervisor) as http:
        page = await http.get("/console/admin/antennes")
        response = await http.post("/console/admin/antennes/BKO-RD", data={"fallback": fallback})

    assert page.status_code == 200
    assert "BKO-RD" in page.text
    assert response.status_code == 303
    antenna = await _antenna(settings, "BKO-RD")
    assert (antenna.operational, antenna.fallback) == (False, fallback)
    [entry] = await fetch_all(
        settings.resolved_database_url,
        select(AuditEntry).where(col(AuditEntry.action) == "antenna_updated"),
    )
    assert (entry.actor_username, entry.target) == (supervisor.username, "antenna:BKO-RD")


async def test_the_api_changes_only_what_it_is_given(app: FastAPI, settings: Settings) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    fallback = await _other_code(settings, "BKO-RD")
    async with session_client(app, settings, admin) as http:
        await http.patch("/api/v1/antennas/BKO-RD", json={"fallback": fallback})
        response = await http.patch("/api/v1/antennas/BKO-RD", json={"operational": False})
        listing = await http.get("/api/v1/antennas")

    assert response.status_code == 200
    assert response.json()["fallback"] == fallback
    assert response.json()["operational"] is False
    assert any(item["code"] == "BKO-RD" for item in listing.json())


async def test_an_antenna_cannot_fall_back_on_itself_or_on_nothing_known(
    app: FastAPI, settings: Settings
) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    before = await _antenna(settings, "BKO-RD")
    async with session_client(app, settings, admin) as http:
        itself = await http.post(
            "/console/admin/antennes/BKO-RD", data={"operational": "on", "fallback": "BKO-RD"}
        )
        unknown = await http.patch("/api/v1/antennas/BKO-RD", json={"fallback": "NOWHERE"})
        missing = await http.patch("/api/v1/antennas/NOWHERE", json={"operational": False})

    assert itself.status_code == 422
    assert unknown.status_code == 422
    assert missing.status_code == 404
    after = await _antenna(settings, "BKO-RD")
    assert (after.operational, after.fallback) == (before.operational, before.fallback)


async def test_supervisors_and_admins_see_the_rules_version_in_force(
    app: FastAPI, settings: Settings
) -> None:
    version = str(app.state.runtime.rules.current().version)
    shown: dict[Role, bool] = {}
    for role in (Role.SUPERVISOR, Role.ADMIN, Role.DUTY_OFFICER):
        account = await create_staff(settings, role=role)
        async with session_client(app, settings, account) as http:
            home = await http.get("/console")
            shown[role] = 'id="rules-version"' in home.text and version in home.text
            if role is Role.SUPERVISOR:
                assert (await http.get("/api/v1/rules")).json() == {"version": version}

    assert shown == {Role.SUPERVISOR: True, Role.ADMIN: True, Role.DUTY_OFFICER: False}
