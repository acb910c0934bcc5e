"""Issue 19, item 4: one conversation per caller. A caller's later SMS joins the call's tip with
its reference; before an officer's question goes to a caller by SMS, the end of the call told
them the office may text them and how to refuse."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from service.models import Message, Role, Tip
from service.settings import Settings
from tests.channels.test_hotline_voice import CALLER, VOICE, recorded_form
from tests.conftest import make_settings
from tests.support.app import running_app
from tests.support.channel_fixtures import citizen_client, post_signed, runtime_of_app, settle
from tests.support.console import create_staff, session_client
from tests.support.fake_twilio import FakeTwilio, new_sid
from tests.support.twilio import sms_form
from tests.voicemails.test_call_language import BAMBARA_PROMPTS

SMS = "/channels/sms/twilio"
NOTICE = "Pour refuser, répondez simplement STOP à son message"


async def call_tip(application: FastAPI) -> Tip:
    async with runtime_of_app(application).sessions() as session:
        tip: Tip = (await session.scalars(select(Tip))).one()
    return tip


async def test_a_callers_answer_by_sms_joins_the_calls_tip_with_its_reference(
    channel_app: FastAPI,
    channel_client: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    twilio_settings: Settings,
) -> None:
    read_out = await post_signed(
        channel_client, f"{VOICE}/recorded?lang=fr", recorded_form(new_sid("CA"), new_sid("RE"))
    )
    await settle(channel_app)
    tip = await call_tip(channel_app)
    officer = await create_staff(twilio_settings, role=Role.DUTY_OFFICER)
    async with session_client(channel_app, twilio_settings, officer) as http:
        asked = await http.post(
            f"/console/signalements/{tip.id}/question", data={"text": "Où se trouve le dépôt ?"}
        )
        await settle(channel_app)

    answer = await post_signed(
        channel_client, SMS, sms_form(sender=CALLER, body="derrière le marché de Médine")
    )
    await settle(channel_app)

    assert NOTICE in unescape(read_out.text)
    assert asked.status_code == 303
    assert [sent.to for sent in fake_twilio.sent] == [CALLER]
    assert f"complément ajouté au signalement {tip.reference}" in unescape(answer.text)
    async with runtime_of_app(channel_app).sessions() as session:
        tips = (await session.scalars(select(Tip))).all()
        inbound = (
            await session.scalars(select(Message).where(col(Message.direction) == "inbound"))
        ).all()
    assert [found.id for found in tips] == [tip.id]
    assert {message.tip_id for message in inbound} == {tip.id}
    assert len(inbound) == 2


async def test_the_end_of_the_call_notice_is_noted_and_not_given_to_a_withheld_number(
    channel_app: FastAPI, channel_client: httpx.AsyncClient
) -> None:
    known = await post_signed(
        channel_client, f"{VOICE}/recorded?lang=fr", recorded_form(new_sid("CA"), new_sid("RE"))
    )
    withheld = await post_signed(
        channel_client,
        f"{VOICE}/recorded?lang=fr",
        recorded_form(new_sid("CA"), new_sid("RE"), caller="anonymous"),
    )

    async with runtime_of_app(channel_app).sessions() as session:
        calls = (await session.scalars(select(Message).order_by(col(Message.created_at)))).all()
    assert NOTICE in unescape(known.text)
    assert NOTICE not in unescape(withheld.text)
    assert calls[0].texts_notice_at is not None
    assert calls[1].texts_notice_at is None


async def test_no_sms_question_goes_to_a_caller_who_was_never_told(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio
) -> None:
    # Bambara offered, but its "the office may text you" prompt is not recorded: not told.
    settings = make_settings(
        tmp_path, database_url, twilio_api_base_url=fake_twilio.url, **BAMBARA_PROMPTS
    )
    async with running_app(settings) as application, citizen_client(application) as client:
        read_out = await post_signed(
            client, f"{VOICE}/recorded?lang=bm", recorded_form(new_sid("CA"), new_sid("RE"))
        )
        await settle(application)
        tip = await call_tip(application)
        officer = await create_staff(settings, role=Role.DUTY_OFFICER)
        async with session_client(application, settings, officer) as http:
            page = unescape((await http.get(f"/console/signalements/{tip.id}")).text)
            asked = await http.post(
                f"/console/signalements/{tip.id}/question", data={"text": "Où exactement ?"}
            )
            await settle(application)

    assert NOTICE not in unescape(read_out.text)
    assert 'id="caller-not-told"' in page
    assert f'action="/console/signalements/{tip.id}/question"' not in page
    assert asked.status_code == 409
    assert "pas été prévenu" in unescape(asked.text)
    assert fake_twilio.sent == []
