"""Provider ids are not a key to the number: no MessageSid, CallSid, MediaSid or RecordingSid
used by the test is left in a dump of the database or of Redis, though a retry still makes one
tip, a status callback still finds its reply, and Twilio's log is still emptied."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
from alembic import command
from fastapi import FastAPI
from sqlalchemy import JSON, Insert, Uuid, column, insert, select, table
from sqlmodel import col

from crypto import load_or_create_keyring, provider_id_hash
from service.core.migrate import alembic_config, upgrade_to_head
from service.core.provider_ids import message_context, open_provider_id
from service.models import Attachment, Message, Tip
from service.models.types import UTCDateTime, utcnow
from service.settings import Settings
from tests.channels.test_hotline_voice import (
    RECORDING,
    VOICE,
    recorded_form,
    recording_callback_form,
)
from tests.conftest import make_settings
from tests.intake.test_media_fetch import photo_with_gps
from tests.reporters.test_deliveries import STATUS_PATH, status_form
from tests.support.app import running_app
from tests.support.channel_fixtures import (
    ask_reporter,
    citizen_client,
    post_signed,
    runtime_of_app,
)
from tests.support.fake_twilio import ACCOUNT_NUMBER, FakeTwilio, new_sid
from tests.support.inspect import count_rows, execute, fetch_all
from tests.support.redis import run_burst_worker
from tests.support.sweep import database_text, found, redis_text
from tests.support.twilio import sms_form

SMS_PATH = "/channels/sms/twilio"
SENDER = "+22376543210"
CALLER = "+22379887766"


def _settings(tmp_path: Path, database_url: str, redis_url: str, fake: FakeTwilio) -> Settings:
    return make_settings(
        tmp_path,
        database_url,
        redis_url=redis_url,
        twilio_api_base_url=fake.url,
        twilio_retry_seconds=0.05,
    )


async def _text(client: httpx.AsyncClient, fake: FakeTwilio, *, whatsapp: bool = False) -> str:
    """An SMS (or WhatsApp message) delivered twice, as a Twilio retry does; its MessageSid."""
    sid = new_sid("SM")
    sender = f"whatsapp:{SENDER}" if whatsapp else SENDER
    to = f"whatsapp:{ACCOUNT_NUMBER}" if whatsapp else ACCOUNT_NUMBER
    fake.receive_message(sid, sender=sender, to=to)
    form = sms_form(sender=sender, body="yamba ka feere Kalaban coura ce soir", message_sid=sid)
    form["To"] = to
    first = await post_signed(client, SMS_PATH, form)
    again = await post_signed(client, SMS_PATH, form)
    assert first.status_code == again.status_code == 200
    assert again.text == first.text  # the retry gets the same reference
    return sid


async def _mms(client: httpx.AsyncClient, fake: FakeTwilio) -> list[str]:
    sid = new_sid("MM")
    media_sid = fake.add_media(sid, "image/jpeg", photo_with_gps())
    fake.receive_message(sid, sender=SENDER)
    form = sms_form(sender=SENDER, body="", message_sid=sid)
    form |= {
        "NumMedia": "1",
        "MediaUrl0": fake.media_url(sid, media_sid),
        "MediaContentType0": "image/jpeg",
    }
    assert (await post_signed(client, SMS_PATH, form)).status_code == 200
    return [sid, media_sid]


async def _call(client: httpx.AsyncClient, fake: FakeTwilio) -> list[str]:
    """A voicemail: the recording's action, then its status callback (the same call)."""
    call_sid = new_sid("CA")
    fake.receive_call(call_sid, caller=CALLER)
    recording_sid = fake.add_recording(b"ID3" + bytes(500), call_sid=call_sid)
    await post_signed(client, f"{VOICE}/recorded?lang=fr", recorded_form(call_sid, recording_sid))
    await post_signed(
        client, f"{RECORDING}?lang=fr", recording_callback_form(call_sid, recording_sid)
    )
    return [call_sid, recording_sid]


async def _sweep(settings: Settings) -> dict[str, str]:
    assert settings.redis_url is not None
    return {
        "database": await database_text(settings.resolved_database_url),
        "redis": await redis_text(settings.redis_url),
    }


async def test_no_twilio_id_is_left_in_a_dump_of_the_database_or_of_redis(
    tmp_path: Path, database_url: str, redis_url: str, fake_twilio: FakeTwilio
) -> None:
    settings = _settings(tmp_path, database_url, redis_url, fake_twilio)
    async with running_app(settings) as application, citizen_client(application) as client:
        sms = await _text(client, fake_twilio)
        whatsapp = await _text(client, fake_twilio, whatsapp=True)
        mms = await _mms(client, fake_twilio)
        call = await _call(client, fake_twilio)
        reference = (await fetch_all(database_url, select(col(Tip.reference))))[0]
        reply_id = await ask_reporter(runtime_of_app(application), reference, "Où exactement ?")
        await run_burst_worker(settings)
        [reply] = fake_twilio.sent
        response = await post_signed(client, STATUS_PATH, status_form(reply.sid, "delivered"))
        assert response.status_code == 204
        await run_burst_worker(settings)
        sids = [sms, whatsapp, *mms, *call, reply.sid]

        haystacks = await _sweep(settings)

    assert found(sids, haystacks) == []
    # The sweep sees what it should: the rows are there, keyed by their hashes.
    # SMS and MMS (one conversation), WhatsApp, the call: the retries added none.
    assert await count_rows(database_url, "tips") == 3
    assert await count_rows(database_url, "messages") == 5
    stored = await fetch_all(database_url, select(Message).where(col(Message.id) == reply_id))
    assert stored[0].delivery_status == "delivered"
    # Each id went once Twilio's copy was deleted: only its hash stays.
    messages = await fetch_all(database_url, select(Message))
    files = await fetch_all(database_url, select(Attachment))
    assert [m.provider_id_sealed for m in messages] == [None] * 5
    assert [f.provider_id_sealed for f in files] == [None] * 2
    assert all(m.provider_id_hash for m in messages)
    assert fake_twilio.held() == []


async def test_a_status_callback_finds_its_reply_by_the_hash(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    """The sweep above runs on the worker; this is the in-process path, with the log emptied."""
    sid = await _text(channel_client, fake_twilio)
    [tip] = await fetch_all(runtime_of_app(channel_app).settings.resolved_database_url, select(Tip))
    runtime = runtime_of_app(channel_app)
    reply_id = await ask_reporter(runtime, tip.reference, "Quelle heure ?")
    await runtime.queue.join()  # type: ignore[attr-defined]
    [reply] = fake_twilio.sent

    await post_signed(channel_client, STATUS_PATH, status_form(reply.sid, "sent"))
    await post_signed(channel_client, STATUS_PATH, status_form(reply.sid, "delivered"))
    await runtime.queue.join()  # type: ignore[attr-defined]

    url = runtime.settings.resolved_database_url
    [stored] = await fetch_all(url, select(Message).where(col(Message.id) == reply_id))
    assert stored.delivery_status == "delivered"
    assert stored.provider_id_sealed is None
    assert fake_twilio.held() == []
    assert sid not in await database_text(url)


async def test_the_migration_hashes_the_ids_already_stored(tmp_path: Path) -> None:
    """A database from before 0005: its plain ids become hashes, the ones Twilio may still hold
    are kept sealed, a transcript keeps its call, and no id is left in clear."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    keyring_path = tmp_path / "keyring.json"
    keyring, _ = load_or_create_keyring(keyring_path)
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0004")
    tip, call, transcript, erased = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    call_sid, erased_sid, recording_sid = new_sid("CA"), new_sid("SM"), new_sid("RE")
    for statement in _old_rows(tip, call, transcript, erased, call_sid, erased_sid):
        await execute(url, statement)
    await execute(
        url,
        insert(_OLD_ATTACHMENTS).values(
            id=uuid.uuid4(),
            tip_id=tip,
            message_id=call,
            source="twilio_recording",
            provider_sid=recording_sid,
            content_type="audio/mpeg",
            status="pending",
            created_at=utcnow(),
        ),
    )

    await asyncio.to_thread(upgrade_to_head, url, keyring_path)

    rows = {m.id: m for m in await fetch_all(url, select(Message))}
    assert rows[call].provider_id_hash == provider_id_hash(keyring, call_sid)
    assert open_provider_id(
        keyring, rows[call].provider_id_sealed, context=message_context(call)
    ) == (call_sid)
    assert rows[erased].provider_id_hash == provider_id_hash(keyring, erased_sid)
    assert rows[erased].provider_id_sealed is None  # its erase_message job had completed
    assert rows[transcript].transcript_of == call
    [recording] = await fetch_all(url, select(Attachment))
    assert recording.provider_id_hash == provider_id_hash(keyring, recording_sid)
    assert recording.provider_id_sealed is not None
    dump = await database_text(url)
    assert [sid for sid in (call_sid, erased_sid, recording_sid) if sid in dump] == []


_OLD_TIPS = table(
    "tips",
    *(column(name) for name in ("reference", "channel", "status")),
    column("id", Uuid()),
    column("received_at", UTCDateTime()),
    column("last_message_at", UTCDateTime()),
)
_OLD_MESSAGES = table(
    "messages",
    *(column(name) for name in ("direction", "provider_id", "body_ciphertext")),
    column("id", Uuid()),
    column("tip_id", Uuid()),
    column("created_at", UTCDateTime()),
)
_OLD_ATTACHMENTS = table(
    "attachments",
    *(column(name) for name in ("source", "provider_sid", "content_type", "status")),
    column("id", Uuid()),
    column("tip_id", Uuid()),
    column("message_id", Uuid()),
    column("created_at", UTCDateTime()),
)
_OUTBOX = table(
    "outbox",
    column("job_name"),
    column("job_key"),
    column("relay_count"),
    column("job_args", JSON()),
    column("created_at", UTCDateTime()),
    column("completed_at", UTCDateTime()),
)


def _old_rows(
    tip: uuid.UUID,
    call: uuid.UUID,
    transcript: uuid.UUID,
    erased: uuid.UUID,
    call_sid: str,
    erased_sid: str,
) -> list[Insert]:
    now = utcnow()
    message = {"tip_id": tip, "direction": "inbound", "body_ciphertext": b"\x00", "created_at": now}
    return [
        insert(_OLD_TIPS).values(
            id=tip,
            reference="OCS-TEST-0001",
            channel="hotline",
            status="received",
            received_at=now,
            last_message_at=now,
        ),
        insert(_OLD_MESSAGES).values(
            [
                message | {"id": call, "provider_id": call_sid},
                message | {"id": transcript, "provider_id": f"transcript:{call}"},
                message | {"id": erased, "provider_id": erased_sid},
            ]
        ),
        insert(_OUTBOX).values(
            job_name="erase_message",
            job_args=[str(erased)],
            job_key=f"erase_message:{erased}",
            relay_count=1,
            created_at=now,
            completed_at=now,
        ),
    ]
