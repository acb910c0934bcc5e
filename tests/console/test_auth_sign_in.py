"""Signing in: password, then TOTP (enrolment at first sign-in), then the forced password change."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from service.models import AuditEntry, Role, StaffSession, StaffUser
from service.settings import Settings
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
