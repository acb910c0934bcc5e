"""CSRF: an unsafe request without the session's token is refused with 403 and changes nothing."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from service.access.csrf import CSRF_HEADER
from service.models import AuditEntry, Role
from service.settings import Settings
from tests.support.app import http_client
from tests.support.console import create_staff, session_client, signed_in_client
from tests.support.inspect import count_rows, fetch_all


async def _state(settings: Settings) -> tuple[int, int]:
    url = settings.resolved_database_url
    return await count_rows(url, "staff_users"), await count_rows(url, "audit_entries")


async def test_a_form_without_the_token_is_refused_and_nothing_changes(
    app: FastAPI, settings: Settings
) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    async with session_client(app, settings, admin) as http:
        del http.headers[CSRF_HEADER]
        before = await _state(settings)
        response = await http.post(
            "/console/admin/utilisateurs", data={"username": "intrus", "role": "admin"}
        )

    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert "Jeton de sécurité" in response.text
    assert await _state(settings) == before


async def test_a_token_from_another_session_is_refused(app: FastAPI, settings: Settings) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    other = await create_staff(settings, role=Role.ADMIN)
    async with (
        session_client(app, settings, admin) as http,
        session_client(app, settings, other) as other_http,
    ):
        before = await _state(settings)
        response = await http.post(
            "/console/admin/utilisateurs",
            data={"username": "intrus", "role": "admin"},
            headers={CSRF_HEADER: other_http.headers[CSRF_HEADER]},
        )

    assert response.status_code == 403
    assert await _state(settings) == before


async def test_the_api_needs_the_header_for_unsafe_methods(
    app: FastAPI, settings: Settings
) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    body = {"username": "nouvel-agent", "role": "duty_officer"}
    async with session_client(app, settings, admin) as http:
        token = http.headers.pop(CSRF_HEADER)
        refused = await http.post("/api/v1/users", json=body)
        users_after_refusal = await count_rows(settings.resolved_database_url, "staff_users")
        accepted = await http.post("/api/v1/users", json=body, headers={CSRF_HEADER: token})

    assert refused.status_code == 403
    assert refused.json()["error"] == "csrf_refused"
    assert users_after_refusal == 1
    assert accepted.status_code == 201


async def test_me_hands_the_token_to_scripts_and_it_works(app: FastAPI, settings: Settings) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    async with signed_in_client(app, admin) as http:
        token = http.headers.pop(CSRF_HEADER)
        me = await http.get("/api/v1/me")
        response = await http.post(
            "/api/v1/users",
            json={"username": "par-script", "role": "auditor"},
            headers={CSRF_HEADER: me.json()["csrf_token"]},
        )

    assert me.json()["csrf_token"] == token
    assert response.status_code == 201


async def test_a_sign_in_posted_from_another_site_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """SameSite=Strict keeps the browser's cookies off a cross-site post: no key, no sign-in."""
    account = await create_staff(settings, role=Role.ADMIN)

    response = await client.post(
        "/console/connexion",
        data={"csrf_token": "guessed", "username": account.username, "password": account.password},
    )

    assert response.status_code == 403
    assert "tipline_session" not in response.headers.get("set-cookie", "")
    assert await fetch_all(settings.resolved_database_url, select(AuditEntry)) == []


async def test_sign_out_without_the_token_keeps_the_session(
    app: FastAPI, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with session_client(app, settings, account) as http:
        del http.headers[CSRF_HEADER]
        refused = await http.post("/console/deconnexion")
        still_signed_in = await http.get("/api/v1/me")

    assert refused.status_code == 403
    assert still_signed_in.status_code == 200


async def test_the_sign_in_page_sets_a_pre_session_cookie_for_its_token(
    app: FastAPI, settings: Settings
) -> None:
    async with http_client(app) as http:
        page = await http.get("/console/connexion")

    cookie = page.headers["set-cookie"].lower()
    assert cookie.startswith("tipline_csrf=")
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    # Visiting the sign-in page stores nothing: no session row for anonymous browsers.
    assert await count_rows(settings.resolved_database_url, "staff_sessions") == 0
