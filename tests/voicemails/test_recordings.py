"""Voicemails come home encrypted and are erased at Twilio; operators enter and transcribe tips."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from channels.errors import MalformedRequest, NotFound
from channels.hotline.operator import enter_operator_tip
from crypto import Purpose, open_sealed, open_text
from service.core.db import transaction
from service.models import (
    Attachment,
    AttachmentStatus,
    Direction,
    Message,
    OperatorEntry,
    Role,
    StaffUser,
    Tip,
    TriageDecision,
)
from service.runtime import Runtime
from service.voicemails.transcripts import save_transcript
from tests.channels.test_hotline_voice import RECORDING, VOICE, recorded_form
from tests.support.channel_fixtures import post_signed, runtime_of_app, settle, wait_until
from tests.support.fake_twilio import FakeTwilio, new_sid
from tests.support.twilio import sms_form

VOICEMAIL = b"ID3\x04\x00" + bytes(range(256)) * 40


async def call_and_record(client: httpx.AsyncClient, recording_sid: str) -> str:
    call_sid = new_sid("CA")
    await post_signed(client, f"{VOICE}/recorded?lang=fr", recorded_form(call_sid, recording_sid))
    return call_sid


async def recordings_settled(application: FastAPI) -> None:
    """Settled, and no recording still pending: Twilio's first 404s are tried again later."""
    await settle(application)
    runtime = runtime_of_app(application)

    async def none_pending() -> bool:
        async with runtime.sessions() as session:
            rows = (await session.scalars(select(Attachment))).all()
        return all(row.status != AttachmentStatus.PENDING for row in rows)

    await wait_until(none_pending, what="every recording fetched or failed")


async def only_recording(runtime: Runtime) -> Attachment:
    async with runtime.sessions() as session:
        attachment: Attachment = (await session.scalars(select(Attachment))).one()
    return attachment


async def test_the_recording_is_stored_encrypted_then_erased_with_its_call(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    recording_sid = fake_twilio.add_recording(VOICEMAIL)

    call_sid = await call_and_record(channel_client, recording_sid)
    await settle(channel_app)

    runtime = runtime_of_app(channel_app)
    recording = await only_recording(runtime)
    assert recording.status == AttachmentStatus.STORED
    assert recording.content_ciphertext is not None
    assert VOICEMAIL[:64] not in recording.content_ciphertext
    content = open_sealed(
        runtime.keyring,
        Purpose.CONTENT,
        recording.content_ciphertext,
        context=f"attachment:{recording.id}",
    )
    assert content == VOICEMAIL
    assert recording.provider_erased_at is not None
    assert fake_twilio.downloaded == [recording_sid]
    assert fake_twilio.deleted == [f"Recordings/{recording_sid}", f"Calls/{call_sid}"]
    assert fake_twilio.unauthorised == []


async def test_a_recording_still_processing_is_fetched_once_ready(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    recording_sid = fake_twilio.add_recording(VOICEMAIL, status="processing")
    runtime = runtime_of_app(channel_app)

    await call_and_record(channel_client, recording_sid)
    await settle(channel_app)
    assert (await only_recording(runtime)).status == AttachmentStatus.PENDING
    fake_twilio.recordings[recording_sid].status = "completed"

    async def stored() -> bool:
        return (await only_recording(runtime)).status == AttachmentStatus.STORED

    await wait_until(stored, what="the recording to be fetched")
    assert fake_twilio.downloaded == [recording_sid]


async def test_a_recording_gone_from_twilio_is_marked_failed_not_retried_forever(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    await call_and_record(channel_client, new_sid("RE"))  # Twilio does not know it
    await recordings_settled(channel_app)

    recording = await only_recording(runtime_of_app(channel_app))
    assert recording.status == AttachmentStatus.FAILED
    assert recording.content_ciphertext is None


async def test_the_recording_callback_does_not_fetch_twice(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    recording_sid = fake_twilio.add_recording(VOICEMAIL)
    call_sid = await call_and_record(channel_client, recording_sid)
    await settle(channel_app)

    await post_signed(
        channel_client,
        f"{RECORDING}?lang=fr",
        {"CallSid": call_sid, "RecordingSid": recording_sid, "RecordingStatus": "completed"},
    )
    await settle(channel_app)

    assert fake_twilio.downloaded == [recording_sid]


async def operator(runtime: Runtime) -> uuid.UUID:
    staff_id = uuid.uuid4()
    async with transaction(runtime.sessions) as session:
        session.add(
            StaffUser(id=staff_id, username="operatrice", role=Role.OPERATOR, password_hash="x")
        )
    return staff_id


async def test_an_operator_enters_a_tip_on_a_callers_behalf(channel_app: FastAPI) -> None:
    runtime = runtime_of_app(channel_app)
    operator_id = await operator(runtime)

    receipt = await enter_operator_tip(
        intake=channel_app.state.intake,
        text="Le correspondant signale un dépôt de cannabis à Niono.",
        place="Niono, Ségou",
        operator_id=operator_id,
    )

    assert receipt.new_tip
    async with runtime.sessions() as session:
        tip = (await session.scalars(select(Tip))).one()
        entry = (await session.scalars(select(OperatorEntry))).one()
        message = (await session.scalars(select(Message))).one()
    assert tip.reference == receipt.reference
    assert tip.channel == "hotline"
    assert tip.reporter_id is None
    assert entry.staff_user_id == operator_id
    assert entry.message_id == message.id


async def test_an_empty_operator_entry_is_refused(channel_app: FastAPI) -> None:
    with pytest.raises(MalformedRequest):
        await enter_operator_tip(
            intake=channel_app.state.intake, text="   ", place=None, operator_id=uuid.uuid4()
        )


async def test_a_transcript_is_triaged_and_replaces_the_previous_one(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    runtime = runtime_of_app(channel_app)
    await call_and_record(channel_client, fake_twilio.add_recording(VOICEMAIL))
    await settle(channel_app)
    async with runtime.sessions() as session:
        call = (await session.scalars(select(Message))).one()

    for text in ("yamba bɛ feere Kalaban Coura", "yamba bɛ feere Kalaban Coura bi su"):
        async with transaction(runtime.sessions) as session:
            await save_transcript(
                session=session, keyring=runtime.keyring, recording_message_id=call.id, text=text
            )
        await runtime.dispatcher.relay(older_than=timedelta(0))
        await settle(channel_app)

    async with runtime.sessions() as session:
        by_time = select(Message).order_by(col(Message.created_at))
        messages = (await session.scalars(by_time)).all()
        decisions = (await session.scalars(select(TriageDecision))).all()
    assert [m.direction for m in messages] == [Direction.INBOUND, Direction.INBOUND]
    transcript = messages[1]
    assert transcript.transcript_of == call.id
    text = open_text(
        runtime.keyring,
        Purpose.CONTENT,
        transcript.body_ciphertext,
        context=f"message:{transcript.id}",
    )
    assert text == "yamba bɛ feere Kalaban Coura bi su"
    # The call alone, then each transcript: three different inputs, three decisions.
    assert len({decision.input_digest for decision in decisions}) == 3


async def test_a_transcript_needs_a_recorded_call(
    channel_app: FastAPI, channel_client: httpx.AsyncClient
) -> None:
    runtime = runtime_of_app(channel_app)
    await post_signed(
        channel_client,
        "/channels/sms/twilio",
        sms_form(sender="+22370112233", body="bonjour"),
    )
    async with runtime.sessions() as session:
        sms = (await session.scalars(select(Message))).one()

    with pytest.raises(NotFound):
        async with transaction(runtime.sessions) as session:
            await save_transcript(
                session=session, keyring=runtime.keyring, recording_message_id=sms.id, text="x"
            )
