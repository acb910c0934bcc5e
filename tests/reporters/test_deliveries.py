"""Twilio's status callbacks for replies: recorded on the reply, opt-outs honoured, log erased."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from service.models import Reporter
from service.settings import Settings
from tests.support.channel_fixtures import (
    ask_reporter,
    message_by_id,
    post_signed,
    runtime_of_app,
    settle,
)
from tests.support.fake_twilio import FakeTwilio
from tests.support.inspect import count_rows
from tests.support.twilio import ACCOUNT_SID, sms_form

STATUS_PATH = "/channels/sms/twilio/status"
REPORTER = "+22366554433"


def status_form(message_sid: str, status: str, error_code: str = "") -> dict[str, str]:
    form = {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": message_sid,
        "SmsSid": message_sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "To": REPORTER,  # Twilio sends the reporter's number back: it must go nowhere
        "From": "+22380000000",
        "ApiVersion": "2010-04-01",
    }
    if error_code:
        form["ErrorCode"] = error_code
    return form


async def sent_reply(
    application: FastAPI, client: httpx.AsyncClient, fake: FakeTwilio
) -> tuple[uuid.UUID, str]:
    response = await post_signed(
        client, "/channels/sms/twilio", sms_form(sender=REPORTER, body="kush à Kalaban Coura")
    )
    reference = response.text.split("Référence ")[1][:13]
    reply_id = await ask_reporter(runtime_of_app(application), reference, "Où exactement ?")
    await settle(application)
    return reply_id, fake.sent[-1].sid


async def test_delivered_is_recorded_and_the_reply_erased_at_twilio(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    reply_id, sid = await sent_reply(channel_app, channel_client, fake_twilio)

    response = await post_signed(channel_client, STATUS_PATH, status_form(sid, "delivered"))
    await settle(channel_app)

    assert response.status_code == 204
    assert REPORTER not in response.text
    reply = await message_by_id(runtime_of_app(channel_app), reply_id)
    assert reply.delivery_status == "delivered"
    assert fake_twilio.deleted.count(f"Messages/{sid}") == 1


async def test_a_late_sent_callback_does_not_undo_delivered(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    reply_id, sid = await sent_reply(channel_app, channel_client, fake_twilio)

    await post_signed(channel_client, STATUS_PATH, status_form(sid, "delivered"))
    await post_signed(channel_client, STATUS_PATH, status_form(sid, "sent"))
    await post_signed(channel_client, STATUS_PATH, status_form(sid, "delivered"))  # retry
    await settle(channel_app)

    reply = await message_by_id(runtime_of_app(channel_app), reply_id)
    assert reply.delivery_status == "delivered"
    assert fake_twilio.deleted.count(f"Messages/{sid}") == 1  # erased once


async def test_failed_with_error_21610_opts_the_reporter_out(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    reply_id, sid = await sent_reply(channel_app, channel_client, fake_twilio)
    runtime = runtime_of_app(channel_app)

    await post_signed(channel_client, STATUS_PATH, status_form(sid, "failed", "21610"))
    await settle(channel_app)

    assert (await message_by_id(runtime, reply_id)).delivery_status == "failed"
    async with runtime.sessions() as session:
        reporter = (await session.scalars(select(Reporter))).one()
    assert reporter.identity_ciphertext is None
    assert reporter.opted_out_at is not None


async def test_an_unsigned_status_callback_is_403_and_changes_nothing(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    reply_id, sid = await sent_reply(channel_app, channel_client, fake_twilio)

    response = await channel_client.post(
        STATUS_PATH,
        data=status_form(sid, "failed", "21610"),
        headers={"X-Twilio-Signature": "forged"},
    )

    assert response.status_code == 403
    assert (await message_by_id(runtime_of_app(channel_app), reply_id)).delivery_status == "sent"


async def test_a_callback_for_an_unknown_message_is_accepted_and_ignored(
    channel_client: httpx.AsyncClient, twilio_settings: Settings
) -> None:
    response = await post_signed(
        channel_client, STATUS_PATH, status_form("SM" + "e" * 32, "delivered")
    )

    assert response.status_code == 204
    assert await count_rows(twilio_settings.resolved_database_url, "outbox") == 0
