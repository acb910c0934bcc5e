"""Administration of staff accounts, in the console and through the API; every change audited."""

from __future__ import annotations

import re
import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from service.models import AuditEntry, Role, StaffUser
from service.settings import Settings
from service.staff.sessions import SESSION_COOKIE
from tests.support.app import http_client
from tests.support.console import (
    StaffAccount,
    create_staff,
    form_csrf_token,
    session_client,
    sign_in,
)
from tests.support.inspect import count_rows, fetch_all

_ONE_TIME = re.compile(r'id="one-time-password">([^<]+)<')


async def _user(settings: Settings, username: str) -> StaffUser:
    users: list[StaffUser] = await fetch_all(
        settings.resolved_database_url,
        select(StaffUser).where(col(StaffUser.username) == username),
    )
    return users[0]


async def _actions(settings: Settings) -> list[str]:
    entries = await fetch_all(settings.resolved_database_url, select(AuditEntry))
    return [entry.action for entry in entries]


async def test_a_created_account_signs_in_with_its_one_time_password(
    app: FastAPI, settings: Settings
) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    async with session_client(app, settings, admin) as http:
        page = await http.post(
            "/console/admin/utilisateurs",
            data={"username": "awa.traore", "role": "antenna_chief", "antenna": "BKO-RD"},
        )
    match = _ONE_TIME.search(page.text)

    assert page.status_code == 200
    assert match is not None
    created = await _user(settings, "awa.traore")
    assert (created.role, created.antenna_code, created.must_change_password) == (
        "antenna_chief",
        "BKO-RD",
        True,
    )
    assert match.group(1) not in created.password_hash
    newcomer = StaffAccount(
        created.id, "awa.traore", Role.ANTENNA_CHIEF, "BKO-RD", match.group(1), None
    )
    async with http_client(app) as http:
        await sign_in(http, newcomer)  # enrolment, then the forced password change
        me = (await http.get("/api/v1/me")).json()
    assert (me["username"], me["totp_enrolled"], me["must_change_password"]) == (
        "awa.traore",
        True,
        False,
    )
    assert "user_created" in await _actions(settings)


async def test_a_chief_needs_an_antenna_and_only_a_chief_has_one(
    app: FastAPI, settings: Settings
) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    async with session_client(app, settings, admin) as http:
        no_antenna = await http.post(
            "/console/admin/utilisateurs", data={"username": "chef-sans", "role": "antenna_chief"}
        )
        officer_with_antenna = await http.post(
            "/api/v1/users",
            json={"username": "officier", "role": "duty_officer", "antenna_code": "BKO-RD"},
        )
        unknown_antenna = await http.post(
            "/api/v1/users",
            json={"username": "chef-x", "role": "antenna_chief", "antenna_code": "NOWHERE"},
        )

    assert no_antenna.status_code == 422
    assert officer_with_antenna.status_code == 422
    assert unknown_antenna.status_code == 422
    assert await count_rows(settings.resolved_database_url, "staff_users") == 1


async def test_disabling_an_account_signs_it_out_and_keeps_it_out(
    app: FastAPI, settings: Settings
) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with (
        session_client(app, settings, admin) as admin_http,
        session_client(app, settings, officer) as officer_http,
    ):
        disabled = await admin_http.post(f"/console/admin/utilisateurs/{officer.id}/desactivation")
        after = await officer_http.get("/api/v1/me")
        page = await officer_http.get("/console/connexion")
        sign_in_attempt = await officer_http.post(
            "/console/connexion",
            data={
                "csrf_token": form_csrf_token(page.text),
                "username": officer.username,
                "password": officer.password,
            },
        )
        enabled = await admin_http.post(f"/console/admin/utilisateurs/{officer.id}/reactivation")

    assert disabled.status_code == 303
    assert after.status_code == 401
    assert sign_in_attempt.status_code == 401
    assert enabled.status_code == 303
    assert (await _user(settings, officer.username)).disabled is False
    assert {"user_disabled", "user_enabled"} <= set(await _actions(settings))


async def test_an_admin_cannot_disable_or_demote_themselves(
    app: FastAPI, settings: Settings
) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    async with session_client(app, settings, admin) as http:
        disable = await http.post(f"/console/admin/utilisateurs/{admin.id}/desactivation")
        demote = await http.patch(f"/api/v1/users/{admin.id}", json={"role": "auditor"})

    assert disable.status_code == 422
    assert demote.status_code == 422
    user = await _user(settings, admin.username)
    assert (user.disabled, user.role) == (False, "admin")


async def test_resetting_totp_sends_the_person_back_to_enrolment(
    app: FastAPI, settings: Settings
) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF)
    async with session_client(app, settings, admin) as http:
        response = await http.post(f"/console/admin/utilisateurs/{chief.id}/totp")
    old_secret = chief.totp_secret

    assert response.status_code == 303
    assert (await _user(settings, chief.username)).totp_secret_ciphertext is None
    async with http_client(app) as http:
        page = await http.get("/console/connexion")
        step = await http.post(
            "/console/connexion",
            data={
                "csrf_token": form_csrf_token(page.text),
                "username": chief.username,
                "password": chief.password,
            },
        )
        assert step.headers["location"] == "/console/connexion/enrolement"
        await http.post("/console/deconnexion", data={"csrf_token": form_csrf_token(page.text)})
    async with http_client(app) as http:
        await sign_in(http, chief)
    assert chief.totp_secret != old_secret


async def test_resetting_a_password_gives_a_new_one_time_password(
    app: FastAPI, settings: Settings
) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with session_client(app, settings, admin) as http:
        response = await http.post(f"/api/v1/users/{officer.id}/password-reset")
    body = response.json()

    assert response.status_code == 200
    assert body["user"]["must_change_password"] is True
    old_password, officer.password = officer.password, body["one_time_password"]
    assert old_password != officer.password
    async with http_client(app) as http:
        await sign_in(http, officer)  # the one-time password, then the forced change
        assert http.cookies.get(SESSION_COOKIE)


async def test_changing_role_and_antenna_takes_effect_at_once(
    app: FastAPI, settings: Settings
) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with (
        session_client(app, settings, admin) as admin_http,
        session_client(app, settings, officer) as officer_http,
    ):
        changed = await admin_http.post(
            f"/console/admin/utilisateurs/{officer.id}/role",
            data={"role": "antenna_chief", "antenna": "BKO-RD"},
        )
        me = (await officer_http.get("/api/v1/me")).json()

    assert changed.status_code == 303
    assert (me["role"], me["antenna_code"]) == ("antenna_chief", "BKO-RD")
    entries = await fetch_all(
        settings.resolved_database_url,
        select(AuditEntry).where(col(AuditEntry.action) == "user_role_changed"),
    )
    assert [entry.details_json for entry in entries] == [
        '{"after":"antenna_chief/BKO-RD","before":"duty_officer/-"}'
    ]


async def test_the_api_never_shows_hashes_or_secrets(app: FastAPI, settings: Settings) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    await create_staff(settings, role=Role.AUDITOR)
    async with session_client(app, settings, admin) as http:
        listing = await http.get("/api/v1/users")
        created = await http.post("/api/v1/users", json={"username": "nouveau", "role": "operator"})
        page = await http.get("/console/admin/utilisateurs")

    assert listing.status_code == 200
    assert len(listing.json()) == 2
    stored = await fetch_all(settings.resolved_database_url, select(StaffUser))
    for response in (listing, created, page):
        assert "argon2" not in response.text
        assert "password_hash" not in response.text
        assert "totp_secret" not in response.text
        for user in stored:
            assert user.password_hash not in response.text
    assert set(listing.json()[0]) == {
        "id",
        "username",
        "role",
        "antenna_code",
        "disabled",
        "must_change_password",
        "totp_enrolled",
        "locked_until",
    }


async def test_unknown_accounts_answer_404(app: FastAPI, settings: Settings) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    async with session_client(app, settings, admin) as http:
        page = await http.post(f"/console/admin/utilisateurs/{uuid.uuid4()}/totp")
        api = await http.patch(f"/api/v1/users/{uuid.uuid4()}", json={"disabled": True})

    assert page.status_code == 404
    assert api.status_code == 404


async def test_a_bad_username_is_refused(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    async with session_client(app, settings, admin) as http:
        page = await http.post(
            "/console/admin/utilisateurs", data={"username": "<script>", "role": "operator"}
        )
        api = await http.post("/api/v1/users", json={"username": "Ab", "role": "operator"})

    assert page.status_code == 422
    assert "<script>" not in page.text
    assert api.status_code == 422


async def test_an_incomplete_form_gets_a_page_and_the_api_gets_json(
    app: FastAPI, settings: Settings
) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    async with session_client(app, settings, admin) as http:
        page = await http.post(
            "/console/admin/utilisateurs", data={"username": "sans-role-76543210"}
        )
        api = await http.post("/api/v1/users", json={"username": "sans-role-76543210"})

    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "Formulaire incomplet" in page.text
    assert "76543210" not in page.text
    assert api.status_code == 422
    assert api.json()["error"] == "malformed_request"
    assert "76543210" not in api.text
