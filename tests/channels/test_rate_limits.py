"""Floods are capped per sender, in memory only, without storing the flood."""

from __future__ import annotations

from pathlib import Path

from channels.rate_limit import SlidingWindowLimiter
from tests.conftest import make_settings
from tests.support.app import http_client, running_app
from tests.support.inspect import count_rows
from tests.support.twilio import signature, sms_form

PATH = "/channels/sms/twilio"


def test_the_limiter_allows_the_limit_then_refuses_until_the_window_passes() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(limit=3, window_seconds=60, clock=lambda: now[0])

    allowed = [limiter.allow("+22376000001") for _ in range(4)]
    other_sender = limiter.allow("+22376000002")
    now[0] = 61.0
    after_window = limiter.allow("+22376000001")

    assert allowed == [True, True, True, False]
    assert other_sender
    assert after_window


def test_the_limiter_never_keeps_the_key_as_given() -> None:
    limiter = SlidingWindowLimiter(limit=3, window_seconds=60)

    limiter.allow("+22376000001")

    assert "76000001" not in repr(limiter.__dict__)


async def test_a_flooding_number_gets_429_and_nothing_more_is_stored(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, sms_rate_limit=3)
    async with running_app(settings) as application, http_client(application) as client:
        statuses = []
        for number in range(5):
            form = sms_form(sender="+22376000009", body=f"message {number}")
            headers = {"X-Twilio-Signature": signature(PATH, form)}
            statuses.append((await client.post(PATH, data=form, headers=headers)).status_code)
        other = sms_form(sender="+22376000010", body="yamba à Banconi")
        headers = {"X-Twilio-Signature": signature(PATH, other)}
        statuses.append((await client.post(PATH, data=other, headers=headers)).status_code)

    assert statuses == [200, 200, 200, 429, 429, 200]
    assert await count_rows(database_url, "messages") == 4
