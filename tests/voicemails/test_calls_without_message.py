"""Issue 19, item 7: nothing is left at Twilio by a call without a message, and a voicemail is
never deleted at Twilio before it is kept here (its own size limit, Twilio's first 404s)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from service.models import Attachment, AttachmentStatus
from service.models.types import utcnow
from service.retention.twilio_purge import run_purge
from service.runtime import Runtime
from service.settings import Settings
from tests.channels.test_hotline_voice import (
    CALLER,
    RECORDING,
    VOICE,
    call_form,
    recorded_form,
    recording_callback_form,
)
from tests.conftest import make_settings
from tests.support.app import running_app
from tests.support.channel_fixtures import (
    citizen_client,
    post_signed,
    runtime_of_app,
    settle,
    wait_until,
)
from tests.support.fake_twilio import FakeTwilio, new_sid
from tests.support.inspect import count_rows
from tests.support.twilio import ACCOUNT_SID

STATUS = "/channels/hotline/twilio/status"


def status_form(call_sid: str, status: str = "completed") -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "CallSid": call_sid,
        "From": CALLER,
        "To": "+22380000000",
        "CallStatus": status,
        "CallDuration": "9",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }


async def held_nothing(fake: FakeTwilio) -> bool:
    return fake.held() == []


async def recording_row(runtime: Runtime) -> Attachment:
    async with runtime.sessions() as session:
        row: Attachment = (await session.scalars(select(Attachment))).one()
    return row


async def test_a_caller_who_hangs_up_in_the_menu_leaves_no_call_at_twilio(
    channel_app: FastAPI,
    channel_client: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    twilio_settings: Settings,
) -> None:
    call_sid = new_sid("CA")
    fake_twilio.receive_call(call_sid, caller=CALLER)
    await post_signed(channel_client, VOICE, call_form(call_sid))

    response = await post_signed(channel_client, STATUS, status_form(call_sid))
    await settle(channel_app)

    assert response.status_code == 204
    await wait_until(lambda: held_nothing(fake_twilio), what="the call deleted at Twilio")
    assert fake_twilio.deleted == [f"Calls/{call_sid}"]
    assert await count_rows(twilio_settings.resolved_database_url, "tips") == 0
    # The job's argument is the CallSid sealed: the outbox never held it in clear.
    outbox = await count_rows(twilio_settings.resolved_database_url, "outbox")
    assert outbox == 1


async def test_a_call_hung_up_before_the_beep_is_deleted_at_twilio(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    call_sid = new_sid("CA")
    fake_twilio.receive_call(call_sid, caller=CALLER)
    form = call_form(call_sid, RecordingDuration="0", RecordingSid=new_sid("RE"))

    await post_signed(channel_client, f"{VOICE}/recorded?lang=fr", form)
    await settle(channel_app)

    await wait_until(lambda: held_nothing(fake_twilio), what="the call deleted at Twilio")


async def test_silence_leaves_neither_the_empty_recording_nor_the_call(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    call_sid = new_sid("CA")
    fake_twilio.receive_call(call_sid, caller=CALLER)
    silence = fake_twilio.add_recording(b"", status="absent", call_sid=call_sid)
    form = recording_callback_form(call_sid, silence) | {"RecordingStatus": "absent"}

    await post_signed(channel_client, f"{RECORDING}?lang=fr", form)
    await settle(channel_app)

    await wait_until(lambda: held_nothing(fake_twilio), what="recording and call deleted")
    assert fake_twilio.deleted == [f"Recordings/{silence}", f"Calls/{call_sid}"]


async def test_the_end_of_a_call_with_a_message_never_deletes_its_recording_early(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    """The call's status can come before the recording's action: the recording waits."""
    call_sid = new_sid("CA")
    fake_twilio.receive_call(call_sid, caller=CALLER)
    recording_sid = fake_twilio.add_recording(b"ID3" + bytes(300), call_sid=call_sid)

    await post_signed(channel_client, STATUS, status_form(call_sid))
    await settle(channel_app)
    assert f"Recordings/{recording_sid}" not in fake_twilio.deleted
    await post_signed(
        channel_client, f"{VOICE}/recorded?lang=fr", recorded_form(call_sid, recording_sid)
    )
    await settle(channel_app)

    await wait_until(lambda: held_nothing(fake_twilio), what="the call deleted at Twilio")
    assert fake_twilio.downloaded == [recording_sid]
    assert fake_twilio.deleted.index(f"Recordings/{recording_sid}") < fake_twilio.deleted.index(
        f"Calls/{call_sid}"
    )
    stored = await recording_row(runtime_of_app(channel_app))
    assert stored.status == AttachmentStatus.STORED


async def test_a_voicemail_larger_than_the_photo_limit_is_kept(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        twilio_api_base_url=fake_twilio.url,
        twilio_retry_seconds=0.05,
        media_max_bytes=1000,
        hotline_recording_max_bytes=100_000,
    )
    long_message = b"ID3" + bytes(50_000)
    recording_sid = fake_twilio.add_recording(long_message)
    async with running_app(settings) as application, citizen_client(application) as client:
        await post_signed(
            client, f"{VOICE}/recorded?lang=fr", recorded_form(new_sid("CA"), recording_sid)
        )
        await settle(application)
        stored = await recording_row(runtime_of_app(application))

    assert stored.status == AttachmentStatus.STORED
    assert stored.size_bytes == len(long_message)


async def test_a_voicemail_too_large_to_keep_stays_at_twilio_for_a_retry(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        twilio_api_base_url=fake_twilio.url,
        twilio_retry_seconds=0.05,
        hotline_recording_max_bytes=1000,
    )
    call_sid = new_sid("CA")
    fake_twilio.receive_call(call_sid, caller=CALLER, age=timedelta(hours=1))
    recording_sid = fake_twilio.add_recording(b"ID3" + bytes(5000), call_sid=call_sid)
    async with running_app(settings) as application, citizen_client(application) as client:
        await post_signed(
            client, f"{VOICE}/recorded?lang=fr", recorded_form(call_sid, recording_sid)
        )
        await settle(application)
        runtime = runtime_of_app(application)
        failed = await recording_row(runtime)
        assert runtime.twilio is not None
        await run_purge(runtime, runtime.twilio, now=utcnow() + timedelta(hours=1))

    assert failed.status == AttachmentStatus.FAILED
    assert failed.refusal == "too_large"
    assert failed.provider_erased_at is None
    # The call (which holds the number) is gone; the only copy of the message is not.
    assert fake_twilio.held() == [f"Recordings/{recording_sid}"]


async def test_twilios_first_404_for_a_new_recording_is_tried_again(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    recording_sid = fake_twilio.add_recording(b"ID3" + bytes(300))
    fake_twilio.recordings_not_yet_found[recording_sid] = 1
    runtime = runtime_of_app(channel_app)

    await post_signed(
        channel_client, f"{VOICE}/recorded?lang=fr", recorded_form(new_sid("CA"), recording_sid)
    )
    await settle(channel_app)

    async def stored() -> bool:
        return (await recording_row(runtime)).status == AttachmentStatus.STORED

    await wait_until(stored, what="the recording fetched on a later try")
    assert fake_twilio.downloaded == [recording_sid]
