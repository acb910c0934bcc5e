"""Signing in: password, then TOTP (enrolment at first sign-in), then the forced password change."""

from __future__ import annotations

import httpx
import pyotp
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlmodel import col

from service.core.db import create_engine, create_sessionmaker, transaction
from service.models import AuditEntry, Role, StaffSession, StaffUser
from service.settings import Settings
from service.staff.sessions import SESSION_COOKIE
from tests.support.app import http_client
from tests.support.console import create_staff, form_csrf_token, sign_in, signed_in_client
from tests.support.inspect import fetch_all


async def test_first_sign_in_enrols_totp_and_forces_a_new_password(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await create_staff(
        settings, role=Role.DUTY_OFFICER, enrolled=False, must_change_password=True
    )

    await sign_in(client, account)

    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["username"] == account.username
    [user] = await fetch_all(settings.resolved_database_url, select(StaffUser))
    assert user.totp_secret_ciphertext is not None
    assert account.totp_secret is not None
    assert account.totp_secret.encode() not in user.totp_secret_ciphertext
    assert user.must_change_password is False


async def test_enrolment_page_draws_the_qr_code_inline_and_shows_the_secret(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.ADMIN, enrolled=False)
    page = await client.get("/console/connexion")
    await client.post(
        "/console/connexion",
        data={
            "csrf_token": form_csrf_token(page.text),
            "username": account.username,
            "password": account.password,
        },
    )

    enrolment = await client.get("/console/connexion/enrolement")

    assert enrolment.status_code == 200
    assert "<svg" in enrolment.text
    assert 'id="totp-secret"' in enrolment.text
    assert "<img" not in enrolment.text
    assert "http://" not in enrolment.text.replace("http://www.w3.org", "")


async def test_enrolled_account_signs_in_with_a_code_and_the_sign_in_is_audited(
    app: FastAPI, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.SUPERVISOR)

    async with signed_in_client(app, account) as http:
        home = await http.get("/console")

    assert home.status_code == 200
    assert account.username in home.text
    actions = [
        entry.action
        for entry in await fetch_all(settings.resolved_database_url, select(AuditEntry))
    ]
    assert actions == ["sign_in"]
    assert len(await fetch_all(settings.resolved_database_url, select(StaffSession))) == 1


async def _post_sign_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    page = await client.get("/console/connexion")
    return await client.post(
        "/console/connexion",
        data={"csrf_token": form_csrf_token(page.text), "username": username, "password": password},
    )


async def test_wrong_password_is_refused_and_audited_without_the_password(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.DUTY_OFFICER)

    response = await _post_sign_in(client, account.username, "not-the-password-xyz")

    assert response.status_code == 401
    assert "Identifiant ou mot de passe incorrect" in response.text
    assert "not-the-password-xyz" not in response.text
    assert (await client.get("/api/v1/me")).status_code == 401
    [entry] = await fetch_all(settings.resolved_database_url, select(AuditEntry))
    assert (entry.action, entry.actor_username) == ("sign_in_failed", account.username)
    assert "not-the-password-xyz" not in entry.details_json


async def test_unknown_username_is_refused_and_not_recorded(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await _post_sign_in(client, "perhaps-a-password-typed-here", "whatever-secret")

    assert response.status_code == 401
    [entry] = await fetch_all(settings.resolved_database_url, select(AuditEntry))
    assert entry.actor_username is None
    assert "perhaps-a-password" not in entry.details_json


async def test_disabled_account_cannot_sign_in_even_with_its_password(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.DUTY_OFFICER)
    await _set_user(settings, account.username, disabled=True)

    response = await _post_sign_in(client, account.username, account.password)

    assert response.status_code == 401
    assert SESSION_COOKIE not in response.cookies


async def test_wrong_code_is_refused_and_a_used_code_cannot_be_replayed(
    app: FastAPI, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with signed_in_client(app, account):
        pass
    used_code = pyotp.TOTP(account.totp_secret or "").generate_otp(account.last_step)
    async with http_client(app) as http:
        await _post_sign_in(http, account.username, account.password)
        page = await http.get("/console/connexion/code")
        token = form_csrf_token(page.text)

        wrong = await http.post(
            "/console/connexion/code", data={"csrf_token": token, "code": "000000"}
        )
        replayed = await http.post(
            "/console/connexion/code", data={"csrf_token": token, "code": used_code}
        )

        assert wrong.status_code == 401
        assert replayed.status_code == 401
        assert (await http.get("/api/v1/me")).status_code == 401


async def test_signed_in_user_is_sent_from_the_sign_in_page_to_the_console(
    app: FastAPI, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.OPERATOR)
    async with signed_in_client(app, account) as http:
        response = await http.get("/console/connexion")

    assert response.status_code == 303
    assert response.headers["location"] == "/console"


async def test_voluntary_password_change_needs_the_current_password(
    app: FastAPI, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.ANTENNA_CHIEF)
    new = "une autre phrase de passe solide"
    async with signed_in_client(app, account) as http:
        refused = await http.post(
            "/console/mot-de-passe",
            data={"current_password": "wrong", "new_password": new, "confirmation": new},
        )
        accepted = await http.post(
            "/console/mot-de-passe",
            data={"current_password": account.password, "new_password": new, "confirmation": new},
        )

    assert refused.status_code == 422
    assert accepted.status_code == 303
    account.password = new
    async with signed_in_client(app, account) as http:
        assert (await http.get("/api/v1/me")).status_code == 200


async def _set_user(settings: Settings, username: str, **values: object) -> None:
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            await session.execute(
                update(StaffUser).where(col(StaffUser.username) == username).values(**values)
            )
    finally:
        await engine.dispose()
