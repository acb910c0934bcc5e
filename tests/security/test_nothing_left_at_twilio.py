"""Nothing stays at Twilio: every channel's path leaves the account's log empty, and the periodic
purge deletes what a lost webhook or a missed delete left there."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from service.core.job_names import JobName
from service.jobs import JOBS
from service.models import Message, OutboxEntry
from service.retention.twilio_purge import purge_twilio
from service.worker import scheduled_jobs
from tests.channels.test_hotline_voice import VOICE, recorded_form
from tests.conftest import make_settings
from tests.intake.test_media_fetch import photo_with_gps
from tests.support.app import running_app
from tests.support.channel_fixtures import (
    citizen_client,
    post_signed,
    runtime_of_app,
    settle,
    wait_until,
)
from tests.support.fake_twilio import ACCOUNT_NUMBER, FakeTwilio, new_sid
from tests.support.inspect import fetch_all
from tests.support.twilio import sms_form

SMS_PATH = "/channels/sms/twilio"
SENDER = "+22376543210"


async def held_nothing(fake: FakeTwilio) -> bool:
    return fake.held() == []


async def send_sms(
    client: httpx.AsyncClient, fake: FakeTwilio, *, sender: str = SENDER, to: str = ACCOUNT_NUMBER
) -> str:
    sid = new_sid("SM")
    fake.receive_message(sid, sender=sender, to=to)
    form = sms_form(sender=sender, body="yamba ka feere Kalaban coura ce soir", message_sid=sid)
    form["To"] = to
    response = await post_signed(client, SMS_PATH, form)
    assert response.status_code == 200
    return sid


async def test_a_plain_sms_is_deleted_at_twilio_once_stored(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    sid = await send_sms(channel_client, fake_twilio)
    await settle(channel_app)

    await wait_until(lambda: held_nothing(fake_twilio), what="the SMS deleted at Twilio")
    assert f"Messages/{sid}" in fake_twilio.deleted


async def test_a_whatsapp_message_is_deleted_at_twilio_once_stored(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    await send_sms(
        channel_client, fake_twilio, sender=f"whatsapp:{SENDER}", to=f"whatsapp:{ACCOUNT_NUMBER}"
    )
    await settle(channel_app)

    await wait_until(lambda: held_nothing(fake_twilio), what="the WhatsApp message deleted")


async def test_an_mms_is_deleted_after_its_media(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    sid = new_sid("MM")
    media_sid = fake_twilio.add_media(sid, "image/jpeg", photo_with_gps())
    fake_twilio.receive_message(sid, sender=SENDER)
    form = sms_form(sender=SENDER, body="", message_sid=sid)
    form |= {
        "NumMedia": "1",
        "MediaUrl0": fake_twilio.media_url(sid, media_sid),
        "MediaContentType0": "image/jpeg",
    }

    await post_signed(channel_client, SMS_PATH, form)
    await settle(channel_app)

    await wait_until(lambda: held_nothing(fake_twilio), what="the MMS deleted at Twilio")
    assert fake_twilio.deleted.index(f"Messages/{sid}/Media/{media_sid}") < (
        fake_twilio.deleted.index(f"Messages/{sid}")
    )


async def test_a_call_is_deleted_once_its_recording_is_fetched(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    call_sid = new_sid("CA")
    fake_twilio.receive_call(call_sid, caller=SENDER)
    recording_sid = fake_twilio.add_recording(b"ID3" + bytes(500), call_sid=call_sid)

    await post_signed(
        channel_client, f"{VOICE}/recorded?lang=fr", recorded_form(call_sid, recording_sid)
    )
    await settle(channel_app)

    await wait_until(lambda: held_nothing(fake_twilio), what="the call deleted at Twilio")
    assert fake_twilio.downloaded == [recording_sid]


async def test_a_failed_delete_is_retried_with_backoff(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.delete_failures = [503, 503]

    sid = await send_sms(channel_client, fake_twilio)
    await settle(channel_app)

    await wait_until(lambda: held_nothing(fake_twilio), what="the SMS deleted on a later try")
    assert fake_twilio.delete_failures == []
    assert fake_twilio.deleted == [f"Messages/{sid}"]


async def test_a_burst_is_deleted_by_a_job_per_stored_batch_and_a_retry_deletes_only_the_rest(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.delete_failures = [503]  # the first delete of the first job fails

    sids = await asyncio.gather(
        *(send_sms(channel_client, fake_twilio, sender=f"+2237650{n:04d}") for n in range(20))
    )
    await settle(channel_app)

    await wait_until(lambda: held_nothing(fake_twilio), what="every text deleted at Twilio")
    assert sorted(fake_twilio.deleted) == sorted(f"Messages/{sid}" for sid in sids)
    url = runtime_of_app(channel_app).settings.resolved_database_url
    jobs = [e for e in await fetch_all(url, select(OutboxEntry)) if e.job_name.startswith("erase")]
    assert {job.job_name for job in jobs} == {"erase_messages"}
    assert sorted(m for job in jobs for m in job.job_args) == sorted(
        str(m.id) for m in await fetch_all(url, select(Message))
    )
    assert len(jobs) < len(sids), "texts stored together are deleted by one job"


async def test_the_purge_deletes_what_a_lost_webhook_left_and_spares_the_rest(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    old = timedelta(minutes=30)
    lost = new_sid("SM")  # Twilio logged it; the webhook never reached us
    fake_twilio.receive_message(lost, sender=SENDER, age=old)
    lost_wa = new_sid("SM")
    fake_twilio.receive_message(
        lost_wa, sender=f"whatsapp:{SENDER}", to=f"whatsapp:{ACCOUNT_NUMBER}", age=old
    )
    lost_mms = new_sid("MM")
    fake_twilio.add_media(lost_mms, "image/jpeg", b"\xff\xd8")
    fake_twilio.receive_message(lost_mms, sender=SENDER, age=old)
    hung_up = new_sid("CA")  # hung up before the beep: no recording, no tip
    fake_twilio.receive_call(hung_up, caller=SENDER, age=old)
    recorded = new_sid("CA")
    fake_twilio.receive_call(recorded, caller=SENDER, age=old)
    fake_twilio.add_recording(b"ID3", call_sid=recorded)
    # Spared: a message just received (its own job deletes it) and a call still going on.
    fresh = new_sid("SM")
    fake_twilio.receive_message(fresh, sender=SENDER)
    ongoing = new_sid("CA")
    fake_twilio.receive_call(ongoing, caller=SENDER, age=old, status="in-progress")

    result = await purge_twilio({"runtime": runtime_of_app(channel_app)})

    assert result == "5 deleted, 0 kept"
    assert fake_twilio.held() == [f"Calls/{ongoing}", f"Messages/{fresh}"]
    assert fake_twilio.deleted.index(f"Messages/{lost_mms}") > max(
        i for i, path in enumerate(fake_twilio.deleted) if path.startswith(f"Messages/{lost_mms}/")
    )


async def test_the_purge_spares_a_message_whose_media_is_still_to_fetch(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio
) -> None:
    # The download fails once and its retry waits a minute: the photo is still at Twilio.
    settings = make_settings(
        tmp_path, database_url, twilio_api_base_url=fake_twilio.url, twilio_retry_seconds=60
    )
    fake_twilio.download_failures = [503]
    sid = new_sid("MM")
    media_sid = fake_twilio.add_media(sid, "image/jpeg", photo_with_gps())
    fake_twilio.receive_message(sid, sender=SENDER, age=timedelta(minutes=30))
    form = sms_form(sender=SENDER, body="", message_sid=sid)
    form |= {
        "NumMedia": "1",
        "MediaUrl0": fake_twilio.media_url(sid, media_sid),
        "MediaContentType0": "image/jpeg",
    }
    async with running_app(settings) as application, citizen_client(application) as client:
        await post_signed(client, SMS_PATH, form)
        await settle(application)

        result = await purge_twilio({"runtime": runtime_of_app(application)})

    assert result == "0 deleted, 1 kept"
    assert fake_twilio.held() == [f"Messages/{sid}", f"Messages/{sid}/Media/{media_sid}"]


@pytest.mark.parametrize("name", [JobName.PURGE_TWILIO])
def test_the_purge_runs_on_the_workers_schedule(name: JobName) -> None:
    spec = JOBS[name]
    assert spec.cron is not None
    assert f"cron:{name}" in {job.name for job in scheduled_jobs()}


async def test_a_pass_that_cannot_reach_twilio_says_so_in_one_line(
    tmp_path: Path, database_url: str, captured_logs: io.StringIO
) -> None:
    """An operator reading the worker's log during a Twilio outage sees one warning per pass,
    not a job failure with its traceback every five minutes: the pass runs as the worker's
    schedule runs it, through the same outage handling as every other scheduled job."""
    settings = make_settings(tmp_path, database_url)  # Twilio at a port nothing listens on
    (scheduled,) = [job for job in scheduled_jobs() if job.name == f"cron:{JobName.PURGE_TWILIO}"]
    before = len(captured_logs.getvalue())
    async with running_app(settings) as application:
        result = await scheduled.coroutine({"runtime": runtime_of_app(application)})

    assert result is None
    lines = [json.loads(line) for line in captured_logs.getvalue()[before:].splitlines()]
    skipped = [line for line in lines if line["event"] == "scheduled_job_skipped"]
    assert [(line["job"], line["unreachable"]) for line in skipped] == [
        (JobName.PURGE_TWILIO, "twilio")
    ]
    assert not [line for line in lines if "exception" in line or line["level"] == "error"]
