"""Hostile input: garbage is refused or stored verbatim, never executed, never a 5xx."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from crypto import Purpose, open_text
from service.models import Message, Role, Tip
from service.settings import Settings
from tests.support.console import create_staff, session_client
from tests.support.twilio import signature, sms_form

PATH = "/channels/sms/twilio"
SQL_LOOKING = "'; DROP TABLE tips; -- \" OR 1=1; /* yamba */ SELECT * FROM reporters"
HOSTILE_HTML = '<script>alert("x")</script><img src=x onerror=alert(1)> yamba à Banconi'


async def post(client: httpx.AsyncClient, sender: str, body: str) -> httpx.Response:
    form = sms_form(sender=sender, body=body)
    return await client.post(PATH, data=form, headers={"X-Twilio-Signature": signature(PATH, form)})


async def stored_bodies(app: FastAPI) -> list[str]:
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        messages = (await session.scalars(select(Message))).all()
    return [
        open_text(runtime.keyring, Purpose.CONTENT, m.body_ciphertext, context=f"message:{m.id}")
        for m in messages
    ]


async def test_sql_looking_text_is_stored_verbatim(app: FastAPI, client: httpx.AsyncClient) -> None:
    response = await post(client, "+22376111111", SQL_LOOKING)

    assert response.status_code == 200
    assert await stored_bodies(app) == [SQL_LOOKING]


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300))
async def test_unicode_and_control_garbage_never_breaks_intake(
    client: httpx.AsyncClient, body: str
) -> None:
    response = await post(client, "+22376222222", body)

    assert response.status_code in (200, 422, 429)


async def test_html_in_a_tip_is_inert_on_the_officers_page(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await post(client, "+22376333333", HOSTILE_HTML)
    await app.state.runtime.queue.join()
    async with app.state.runtime.sessions() as session:
        tip = (await session.scalars(select(Tip))).one()
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)

    async with session_client(app, settings, officer) as http:
        page = await http.get(f"/console/signalements/{tip.id}")

    assert page.status_code == 200
    assert "&lt;script&gt;alert(" in page.text
    assert "<script>alert(" not in page.text
    assert "<img src=x" not in page.text
