"""No number, address, receipt code or message text readable anywhere after the new channels ran.

One scenario through every channel — MMS with a photo, a green-number call with
its voicemail, the web form and its follow-up, officers' replies and their status callbacks — on
the real arq worker and Redis, with the real Twilio client talking to the local fake. Then the
database (rows and dump), Redis and the logs are searched for what the reporters sent.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.channels.test_hotline_voice import VOICE, recorded_form
from tests.channels.test_web_followup import access_of, open_mailbox
from tests.channels.test_web_form import receipt_of, submit, token_of
from tests.conftest import make_settings
from tests.intake.test_media_fetch import mms_form, photo_with_gps
from tests.support.app import running_app
from tests.support.channel_fixtures import (
    CLIENT_ADDRESS,
    ask_reporter,
    citizen_client,
    post_signed,
    runtime_of_app,
)
from tests.support.fake_twilio import FakeTwilio, new_sid
from tests.support.redis import redis_test_url, run_burst_worker
from tests.support.sweep import database_text, found, redis_text
from tests.support.twilio import ACCOUNT_SID

TEXTER = "+22375001122"  # the sender used by mms_form
CALLER = "+22379887766"  # the caller used by recorded_form
STORY = "La quincaillerie Diarra cache du tramadol sous le comptoir bleu."
ANSWER = "Le neveu du patron fait les livraisons en Djakarta rouge."
NEEDLES = [
    TEXTER,
    TEXTER[4:],
    CALLER,
    CALLER[4:],
    CLIENT_ADDRESS,
    "quincaillerie Diarra",
    "comptoir bleu",
    "Djakarta rouge",
    "le dépôt",
    "PhoneOfTheReporter",
]


async def test_nothing_sent_through_the_new_channels_is_readable_anywhere(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio, captured_logs: io.StringIO
) -> None:
    redis_url = redis_test_url()
    if redis_url is None:
        pytest.skip("TIPLINE_TEST_REDIS_URL is not set (outside CI)")
    await Redis.from_url(redis_url).flushdb()
    settings = make_settings(
        tmp_path,
        database_url,
        redis_url=redis_url,
        twilio_api_base_url=fake_twilio.url,
        twilio_retry_seconds=0.05,
        followup_failure_delay_seconds=0.01,
    )
    log_start = captured_logs.tell()
    recording = fake_twilio.add_recording(b"ID3" + bytes(2000))

    async with running_app(settings) as application, citizen_client(application) as client:
        mms = await post_signed(
            client,
            "/channels/sms/twilio",
            mms_form(fake_twilio, [("image/jpeg", photo_with_gps())], body="le dépôt"),
        )
        sms_reference = mms.text.split("Référence ")[1][:13]
        await post_signed(
            client, f"{VOICE}/recorded?lang=fr", recorded_form(new_sid("CA"), recording)
        )
        token = token_of((await client.get("/")).text)
        web_reference, code = receipt_of((await submit(client, token, story=STORY)).text)
        await open_mailbox(client, web_reference, "2222-2222")
        mailbox = await open_mailbox(client, web_reference, code)
        await client.post(
            "/suivi/message",
            data={
                "jeton": token_of(mailbox.text),
                "acces": access_of(mailbox.text),
                "reference": web_reference,
                "reponse": ANSWER,
            },
        )
        runtime = runtime_of_app(application)
        await ask_reporter(runtime, sms_reference, "Merci. Où est le dépôt exactement ?")
        await ask_reporter(runtime, web_reference, "Merci. Quel jour passe la livraison ?")

    await run_burst_worker(settings)
    [reply] = fake_twilio.sent  # the web reporter's question waits in their mailbox
    async with running_app(settings) as application, citizen_client(application) as client:
        status = {
            "AccountSid": ACCOUNT_SID,
            "MessageSid": reply.sid,
            "MessageStatus": "delivered",
            "To": TEXTER,
        }
        await post_signed(client, "/channels/sms/twilio/status", status)
    await run_burst_worker(settings)

    haystacks = {
        "database": await database_text(database_url),
        "redis": await redis_text(redis_url),
        "logs": captured_logs.getvalue()[log_start:],
    }
    assert found([*NEEDLES, code, code.replace("-", "")], haystacks) == []
    # The sweep saw real work: files fetched and erased at Twilio, the reply sent then erased.
    assert {"Recordings/" + recording, "Messages/" + reply.sid} <= set(fake_twilio.deleted)
    assert any(re.fullmatch(r"Messages/MM\w+/Media/ME\w+", path) for path in fake_twilio.deleted)
    assert reply.to == TEXTER
