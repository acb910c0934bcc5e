"""Officers' replies reach reporters through their own channel, via the real Twilio client.

Twilio is a local fake speaking its REST API; the official ``twilio`` client (async HTTP client)
is pointed at it through TIPLINE_TWILIO_API_BASE_URL. Nothing is patched.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from crypto import load_keyring, provider_id_hash
from service.models import Message, Reporter
from tests.conftest import make_settings
from tests.support.app import running_app
from tests.support.channel_fixtures import (
    ask_reporter,
    citizen_client,
    message_by_id,
    post_signed,
    runtime_of_app,
    settle,
    wait_until,
)
from tests.support.fake_twilio import FakeTwilio
from tests.support.inspect import fetch_all
from tests.support.redis import run_burst_worker
from tests.support.twilio import PUBLIC_BASE_URL, sms_form

SMS_PATH = "/channels/sms/twilio"
REPORTER = "+22376112233"


async def sms_tip(client: httpx.AsyncClient, *, sender: str = REPORTER, body: str = "") -> str:
    response = await post_signed(
        client, SMS_PATH, sms_form(sender=sender, body=body or "yamba bɛ feere Banconi")
    )
    return response.text.split("Référence ")[1][:13]


async def test_a_reply_to_an_sms_tip_is_sent_to_the_reporters_number(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    reference = await sms_tip(channel_client)
    runtime = runtime_of_app(channel_app)

    reply_id = await ask_reporter(runtime, reference, "Quelle est la couleur du véhicule ?")
    await settle(channel_app)

    [sent] = fake_twilio.sent
    assert sent.to == REPORTER
    assert sent.sender == "+22380000000"
    assert sent.body == "Quelle est la couleur du véhicule ?"
    assert sent.status_callback == f"{PUBLIC_BASE_URL}/channels/sms/twilio/status"
    reply = await message_by_id(runtime, reply_id)
    assert reply.provider_id_hash == provider_id_hash(runtime.keyring, sent.sid)
    assert reply.delivery_status == "sent"
    assert fake_twilio.unauthorised == []


async def test_a_reply_to_a_whatsapp_tip_goes_back_through_whatsapp(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    reference = await sms_tip(channel_client, sender=f"whatsapp:{REPORTER}")

    await ask_reporter(runtime_of_app(channel_app), reference, "Merci. À quelle heure ?")
    await settle(channel_app)

    [sent] = fake_twilio.sent
    assert sent.to == f"whatsapp:{REPORTER}"
    assert sent.sender == "whatsapp:+22380000000"


async def test_a_reporter_who_sent_stop_is_never_messaged(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    reference = await sms_tip(channel_client)
    await post_signed(channel_client, SMS_PATH, sms_form(sender=REPORTER, body="STOP"))
    runtime = runtime_of_app(channel_app)

    reply_id = await ask_reporter(runtime, reference, "Pouvez-vous préciser ?")
    await settle(channel_app)

    assert fake_twilio.sent == []
    assert (await message_by_id(runtime, reply_id)).delivery_status == "not_sent"


async def test_running_the_job_twice_sends_once(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    reference = await sms_tip(channel_client)
    runtime = runtime_of_app(channel_app)
    reply_id = await ask_reporter(runtime, reference, "Combien de personnes ?")
    await settle(channel_app)

    from service.reporters.jobs import send_reply

    outcome = await send_reply({"runtime": runtime}, str(reply_id))

    assert outcome == "skipped"
    assert len(fake_twilio.sent) == 1


async def test_replies_wait_for_a_free_sending_slot(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    reference = await sms_tip(channel_client)
    runtime = runtime_of_app(channel_app)
    slots = runtime.twilio_send_slots
    held = 0
    while not slots.locked():  # every slot taken, as by a burst of replies in flight
        await slots.acquire()
        held += 1

    await ask_reporter(runtime, reference, "Où exactement ?")
    await asyncio.sleep(0.3)
    waiting = list(fake_twilio.sent)
    for _ in range(held):
        slots.release()
    await settle(channel_app)

    assert held == 10
    assert waiting == []
    assert len(fake_twilio.sent) == 1


async def test_a_temporary_twilio_failure_is_retried_until_sent(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    reference = await sms_tip(channel_client)
    runtime = runtime_of_app(channel_app)
    fake_twilio.failures += [(503, 20503), (429, 20429)]

    reply_id = await ask_reporter(runtime, reference, "Le camion est-il encore là ?")

    async def sent() -> bool:
        return (await message_by_id(runtime, reply_id)).delivery_status == "sent"

    await wait_until(sent, what="the retried reply")
    assert len(fake_twilio.sent) == 1
    assert fake_twilio.failures == []


async def test_a_permanent_twilio_failure_marks_the_reply_failed(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    reference = await sms_tip(channel_client)
    runtime = runtime_of_app(channel_app)
    fake_twilio.failures.append((400, 21211))  # invalid "To" number

    reply_id = await ask_reporter(runtime, reference, "Merci")
    await settle(channel_app)

    assert fake_twilio.sent == []
    assert (await message_by_id(runtime, reply_id)).delivery_status == "failed"


async def test_twilio_refusing_an_unsubscribed_number_destroys_the_identity(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    reference = await sms_tip(channel_client)
    runtime = runtime_of_app(channel_app)
    fake_twilio.failures.append((400, 21610))

    await ask_reporter(runtime, reference, "Êtes-vous toujours sur place ?")
    await settle(channel_app)
    await ask_reporter(runtime, reference, "Une autre question")
    await settle(channel_app)

    async with runtime.sessions() as session:
        reporter = (await session.scalars(select(Reporter))).one()
    assert reporter.identity_ciphertext is None
    assert reporter.opted_out_at is not None
    assert fake_twilio.sent == []


async def test_the_arq_worker_retries_a_temporary_failure_then_sends(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio, redis_url: str
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        redis_url=redis_url,
        twilio_api_base_url=fake_twilio.url,
        twilio_retry_seconds=0.05,
    )
    fake_twilio.failures.append((503, 20503))
    async with running_app(settings) as application, citizen_client(application) as client:
        reference = await sms_tip(client)
        reply_id = await ask_reporter(runtime_of_app(application), reference, "Où ça ?")

    await run_burst_worker(settings)

    assert fake_twilio.failures == []  # the first try met the outage
    [sent] = fake_twilio.sent
    [reply] = await fetch_all(database_url, select(Message).where(col(Message.id) == reply_id))
    keyring = load_keyring(settings.resolved_keyring_path)
    assert reply.provider_id_hash == provider_id_hash(keyring, sent.sid)
    assert reply.delivery_status == "sent"
