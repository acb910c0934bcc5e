"""Sessions: random ids in strict cookies, only hashes stored, rotated at sign-in, expiring."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlmodel import col

from service.core.db import create_engine, create_sessionmaker, transaction
from service.models import AuditEntry, Role, StaffSession
from service.models.types import utcnow
from service.settings import Settings
from service.staff.sessions import SESSION_COOKIE
from tests.conftest import make_settings
from tests.support.app import http_client, running_app
from tests.support.console import (
    create_staff,
    form_csrf_token,
    session_client,
    signed_in_client,
)
from tests.support.inspect import fetch_all, raw_rows_text


async def _age_sessions(settings: Settings, **values: object) -> None:
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            await session.execute(update(StaffSession).values(**values))
    finally:
        await engine.dispose()


async def test_sign_in_gives_a_new_session_id_and_a_planted_one_is_worthless(
    app: FastAPI, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with http_client(app) as http:
        http.cookies.set(SESSION_COOKIE, "planted-by-an-attacker")
        page = await http.get("/console/connexion")
        after_password = await http.post(
            "/console/connexion",
            data={
                "csrf_token": form_csrf_token(page.text),
                "username": account.username,
                "password": account.password,
            },
        )
        pending_id = after_password.cookies[SESSION_COOKIE]
        code_page = await http.get("/console/connexion/code")
        after_code = await http.post(
            "/console/connexion/code",
            data={"csrf_token": form_csrf_token(code_page.text), "code": account.next_code()},
        )
        signed_in_id = after_code.cookies[SESSION_COOKIE]

    assert after_code.status_code == 303
    assert len({"planted-by-an-attacker", pending_id, signed_in_id}) == 3
    async with http_client(app) as other:
        other.cookies.set(SESSION_COOKIE, pending_id)
        assert (await other.get("/api/v1/me")).status_code == 401
        other.cookies.set(SESSION_COOKIE, signed_in_id)
        assert (await other.get("/api/v1/me")).status_code == 200


async def test_a_second_sign_in_from_the_same_browser_replaces_its_session(
    app: FastAPI, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.OPERATOR)
    async with signed_in_client(app, account) as http:
        first = http.cookies[SESSION_COOKIE]
        # A sign-in form left open in another tab, submitted while already signed in.
        again = await http.post(
            "/console/connexion", data={"username": account.username, "password": account.password}
        )
        second = again.cookies[SESSION_COOKIE]

    assert again.status_code == 303
    assert first != second
    rows = await fetch_all(settings.resolved_database_url, select(StaffSession))
    assert [row.token_hash for row in rows] == [hashlib.sha256(second.encode()).hexdigest()]


async def test_the_database_holds_only_a_hash_of_the_session_id(
    app: FastAPI, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.ADMIN)
    async with signed_in_client(app, account) as http:
        token = http.cookies[SESSION_COOKIE]

    stored = await raw_rows_text(settings.resolved_database_url)
    assert token not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored


async def test_session_cookie_is_secure_httponly_and_strict(
    app: FastAPI, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.AUDITOR)
    async with http_client(app) as http:
        page = await http.get("/console/connexion")
        response = await http.post(
            "/console/connexion",
            data={
                "csrf_token": form_csrf_token(page.text),
                "username": account.username,
                "password": account.password,
            },
        )

    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(SESSION_COOKIE + "=")
    for attribute in ("secure", "httponly", "samesite=strict", "path=/"):
        assert attribute in cookie
    assert "csrf" not in cookie


async def test_over_plain_http_the_cookie_is_not_marked_secure(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, public_base_url="http://127.0.0.1:8000")
    account = await create_staff(settings, role=Role.AUDITOR)
    async with running_app(settings) as application, http_client(application) as http:
        page = await http.get("/console/connexion")
        response = await http.post(
            "/console/connexion",
            data={
                "csrf_token": form_csrf_token(page.text),
                "username": account.username,
                "password": account.password,
            },
        )

    assert "secure" not in response.headers["set-cookie"].lower()
    assert "strict-transport-security" not in response.headers


async def test_sign_out_deletes_the_session_and_is_audited(
    app: FastAPI, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.SUPERVISOR)
    async with signed_in_client(app, account) as http:
        token = http.cookies[SESSION_COOKIE]
        response = await http.post("/console/deconnexion")

    assert response.status_code == 303
    assert response.headers["location"] == "/console/connexion"
    assert await fetch_all(settings.resolved_database_url, select(StaffSession)) == []
    actions = [
        e.action for e in await fetch_all(settings.resolved_database_url, select(AuditEntry))
    ]
    assert actions == ["sign_in", "sign_out"]
    async with http_client(app) as http:
        http.cookies.set(SESSION_COOKIE, token)
        assert (await http.get("/api/v1/me")).status_code == 401


async def test_an_idle_session_expires(app: FastAPI, settings: Settings) -> None:
    account = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with session_client(app, settings, account) as http:
        assert (await http.get("/console")).status_code == 200
        await _age_sessions(settings, last_seen_at=utcnow() - timedelta(minutes=31))
        response = await http.get("/console")

    assert response.status_code == 303
    # The sign-in page is told why: the session expired (and typed text is kept in the page).
    assert response.headers["location"] == "/console/connexion?session=expiree"
    assert await fetch_all(settings.resolved_database_url, select(StaffSession)) == []


async def test_an_active_session_still_ends_at_the_absolute_timeout(
    app: FastAPI, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with session_client(app, settings, account) as http:
        await _age_sessions(settings, created_at=utcnow() - timedelta(hours=12, minutes=1))
        response = await http.get("/api/v1/me")

    assert response.status_code == 401


async def test_timeouts_follow_the_settings(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url, console_session_idle_minutes=5)
    account = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with running_app(settings) as application:
        async with session_client(application, settings, account) as http:
            await _age_sessions(settings, last_seen_at=utcnow() - timedelta(minutes=4))
            still = await http.get("/api/v1/me")
            await _age_sessions(settings, last_seen_at=utcnow() - timedelta(minutes=6))
            expired = await http.get("/api/v1/me")

    assert still.status_code == 200
    assert expired.status_code == 401


async def test_a_half_done_sign_in_does_not_open_the_console(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.ADMIN)
    page = await client.get("/console/connexion")
    await client.post(
        "/console/connexion",
        data={
            "csrf_token": form_csrf_token(page.text),
            "username": account.username,
            "password": account.password,
        },
    )

    assert (await client.get("/api/v1/me")).status_code == 401
    assert (await client.get("/console/admin/utilisateurs")).status_code == 303
    [row] = await fetch_all(
        settings.resolved_database_url,
        select(StaffSession).where(col(StaffSession.user_id) == account.id),
    )
    assert row.stage == "totp"
