"""No phone number and no tip word in plaintext: database, dump, Redis, logs, responses.

The scenario goes through the real webhook, the real outbox and a real arq worker on Redis, then
searches everything an attacker or a curious officer could read for what the reporters sent.
"""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from tests.conftest import make_settings
from tests.support.app import http_client, running_app
from tests.support.redis import redis_test_url, run_burst_worker
from tests.support.sweep import database_text, found, redis_text
from tests.support.twilio import signature, sms_form

PATH = "/channels/sms/twilio"
NUMBERS = ["+22376543219", "+22365432178"]
# The same numbers as people write them, and the words only the reporters sent.
NEEDLES = [
    *NUMBERS,
    "76543219",
    "76 54 32 19",
    "65432178",
    "quincaillerie",
    "Moussa",
    "bâche bleue",
    "Toyota",
]
MESSAGES = [
    (NUMBERS[0], "yamba caché sous une bâche bleue derrière la quincaillerie de Moussa, Banconi"),
    ("76 54 32 19", "ils chargent la Toyota ce soir"),
    ("whatsapp:" + NUMBERS[1], "tramadol vendu par Moussa au marché de Kita"),
    (NUMBERS[1], "STOP"),
]


async def send_all(client: httpx.AsyncClient) -> list[httpx.Response]:
    responses = []
    for sender, body in MESSAGES:
        form = sms_form(sender=sender, body=body)
        headers = {"X-Twilio-Signature": signature(PATH, form)}
        responses.append(await client.post(PATH, data=form, headers=headers))
        responses.append(await client.post(PATH, data=form, headers=headers))  # provider retry
    forged = sms_form(sender=NUMBERS[0], body="quincaillerie")
    responses.append(await client.post(PATH, data=forged, headers={"X-Twilio-Signature": "bad"}))
    broken = {k: v for k, v in sms_form(sender=NUMBERS[0], body="x").items() if k != "Body"}
    responses.append(
        await client.post(
            PATH, data=broken, headers={"X-Twilio-Signature": signature(PATH, broken)}
        )
    )
    return responses


async def test_nothing_a_reporter_sent_is_readable_anywhere(
    tmp_path: Path, database_url: str, captured_logs: io.StringIO
) -> None:
    redis_url = redis_test_url()
    if redis_url is None:
        pytest.skip("TIPLINE_TEST_REDIS_URL is not set (outside CI)")
    await Redis.from_url(redis_url).flushdb()
    settings = make_settings(tmp_path, database_url, redis_url=redis_url)
    log_start = captured_logs.tell()

    async with running_app(settings) as application, http_client(application) as client:
        responses = await send_all(client)
        pages = [await client.get(path) for path in ("/healthz", "/readyz", "/openapi.json")]
    await run_burst_worker(settings)

    haystacks = {
        "database": await database_text(database_url),
        "redis": await redis_text(redis_url),
        "logs": captured_logs.getvalue()[log_start:],
        "responses": "\n".join(r.text + str(r.headers) for r in [*responses, *pages]),
    }
    assert found(NEEDLES, haystacks) == []
    # The sweep must be able to see something: the job really ran and logged.
    assert "tip_triaged" in haystacks["logs"]
    assert "OCS-" in haystacks["responses"]
