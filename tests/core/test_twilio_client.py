"""The Twilio client wrapper: the official client, rebased onto the fake, errors without text."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from service.core.twilio import DownloadTooLarge, TwilioClient, TwilioError
from tests.support.fake_twilio import FakeTwilio
from tests.support.twilio import ACCOUNT_SID, AUTH_TOKEN

NUMBER = "+22376000111"


@pytest.fixture
async def twilio(fake_twilio: FakeTwilio) -> AsyncIterator[TwilioClient]:
    client = TwilioClient(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        sms_from="MG" + "1" * 32,  # a messaging service rather than a number
        api_base_url=fake_twilio.url,
    )
    yield client
    await client.close()


async def test_send_sms_returns_the_message_sid(
    twilio: TwilioClient, fake_twilio: FakeTwilio
) -> None:
    sid = await twilio.send_sms(to=NUMBER, body="Alerte", status_callback=None)

    [sent] = fake_twilio.sent
    assert sent.sid == sid
    assert sent.sender == "MG" + "1" * 32
    assert sent.status_callback is None


async def test_twilio_errors_keep_status_and_code_but_not_twilio_text(
    twilio: TwilioClient, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.failures.append((400, 21211))

    with pytest.raises(TwilioError) as raised:
        await twilio.send_sms(to=NUMBER, body="x", status_callback=None)

    assert (raised.value.status, raised.value.code, raised.value.temporary) == (400, 21211, False)
    assert "refused by the fake" not in str(raised.value)
    assert raised.value.__suppress_context__


async def test_wrong_credentials_are_refused_by_the_fake(fake_twilio: FakeTwilio) -> None:
    client = TwilioClient(
        account_sid=ACCOUNT_SID,
        auth_token="not-the-token",
        sms_from="+22380000000",
        api_base_url=fake_twilio.url,
    )
    try:
        with pytest.raises(TwilioError) as raised:
            await client.send_sms(to=NUMBER, body="x", status_callback=None)
    finally:
        await client.close()

    assert raised.value.status == 401
    assert fake_twilio.sent == []


async def test_an_unreachable_twilio_is_a_temporary_error() -> None:
    client = TwilioClient(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        sms_from="+22380000000",
        api_base_url="http://127.0.0.1:9",  # discard port: nothing listens
    )
    try:
        with pytest.raises(TwilioError) as raised:
            await client.send_sms(to=NUMBER, body="x", status_callback=None)
    finally:
        await client.close()

    assert raised.value.temporary


async def test_downloads_stop_at_the_limit(twilio: TwilioClient, fake_twilio: FakeTwilio) -> None:
    recording = fake_twilio.add_recording(bytes(10_000))

    with pytest.raises(DownloadTooLarge):
        await twilio.download_recording(recording, max_bytes=9_999)
    download = await twilio.download_recording(recording, max_bytes=10_000)

    assert len(download.content) == 10_000
    assert download.content_type == "audio/mpeg"


async def test_deleting_what_is_already_gone_succeeds(
    twilio: TwilioClient, fake_twilio: FakeTwilio
) -> None:
    recording = fake_twilio.add_recording(b"ID3")

    await twilio.delete_recording(recording)
    await twilio.delete_recording(recording)  # a retried job: Twilio answers 404
    status_after = await twilio.recording_status(recording)

    assert fake_twilio.deleted == [f"Recordings/{recording}"]
    assert status_after == "deleted"
