"""When the database is down, a Twilio webhook is spooled encrypted, answered, and replayed later.

These tests stop a PostgreSQL cluster of their own (never the machine's) under a running app.
"""

from __future__ import annotations

import asyncio
import io
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from channels.ports import IncomingMessage
from crypto import Purpose, load_or_create_keyring, open_text, provider_id_hash
from service.core.errors import ServiceUnavailable
from service.intake.spool import IntakeSpool
from service.models import Message, Reporter, Tip
from service.runtime import Runtime
from service.settings import Settings
from tests.conftest import make_settings
from tests.support.app import http_client, running_app
from tests.support.inspect import count_rows, fetch_all
from tests.support.postgres_server import OwnPostgresServer
from tests.support.twilio import signature, sms_form

PATH = "/channels/sms/twilio"
SENDER = "+22376112233"
WORDS = "cocaïne cachée sous le pont de Sotuba"


async def post(client: httpx.AsyncClient, form: dict[str, str]) -> httpx.Response:
    return await client.post(PATH, data=form, headers={"X-Twilio-Signature": signature(PATH, form)})


def reference_in(response: httpx.Response) -> str:
    return response.text.split("Référence ")[1][:13]


def spool_text(settings: Settings) -> str:
    spool = settings.data_dir / "spool"
    return "".join(p.read_text() for p in spool.glob("*.jsonl")) if spool.is_dir() else ""


@pytest.fixture
def settings(tmp_path: Path, own_database_url: str, captured_logs: io.StringIO) -> Settings:
    # Replay is driven by the tests, except where one waits for the background task.
    return make_settings(tmp_path, own_database_url, spool_replay_seconds=3600)


def runtime(app: FastAPI) -> Runtime:
    found: Runtime = app.state.runtime
    return found


async def replay(app: FastAPI) -> None:
    await app.state.spool.replay(app.state.intake)


async def test_an_sms_during_an_outage_is_answered_then_stored_under_that_reference(
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    own_postgres: OwnPostgresServer,
    captured_logs: io.StringIO,
) -> None:
    form = sms_form(sender=SENDER, body=WORDS)
    own_postgres.stop()

    response = await post(client, form)

    assert response.status_code == 200
    assert "signalement enregistré" in response.text
    reference = reference_in(response)
    kept = spool_text(settings)
    assert form["MessageSid"] in kept
    for needle in (SENDER, SENDER[4:], "Sotuba", "pont"):
        assert needle not in kept
    own_postgres.start()
    await replay(app)

    [tip] = await fetch_all(settings.resolved_database_url, select(Tip))
    assert tip.reference == reference
    [message] = await fetch_all(settings.resolved_database_url, select(Message))
    assert message.provider_id_hash == provider_id_hash(runtime(app).keyring, form["MessageSid"])
    text = open_text(
        runtime(app).keyring,
        Purpose.CONTENT,
        message.body_ciphertext,
        context=f"message:{message.id}",
    )
    assert text == WORDS
    assert spool_text(settings) == ""
    assert SENDER[4:] not in captured_logs.getvalue()
    assert "Sotuba" not in captured_logs.getvalue()


async def test_twilio_retries_during_the_outage_get_one_reference_and_make_one_tip(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, own_postgres: OwnPostgresServer
) -> None:
    form = sms_form(sender=SENDER, body=WORDS)
    own_postgres.stop()

    first, second = await asyncio.gather(post(client, form), post(client, form))
    own_postgres.start()
    # The third delivery comes after the database is back, before the spool is replayed.
    third = await post(client, form)
    await replay(app)

    assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
    assert reference_in(first) == reference_in(second)
    assert await count_rows(settings.resolved_database_url, "tips") == 1
    assert await count_rows(settings.resolved_database_url, "messages") == 1
    assert spool_text(settings) == ""


async def test_with_neither_database_nor_spool_the_webhook_is_503_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, own_postgres: OwnPostgresServer
) -> None:
    (settings.data_dir / "spool").write_text("a file where the spool directory should be")
    form = sms_form(sender=SENDER, body=WORDS)
    own_postgres.stop()

    refused = await post(client, form)

    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "30"
    assert refused.json()["error"] == "service_unavailable"
    assert SENDER not in refused.text
    own_postgres.start()
    assert await count_rows(settings.resolved_database_url, "tips") == 0
    assert await count_rows(settings.resolved_database_url, "reporters") == 0
    # Twilio's retry (or the fallback URL) is then stored once.
    retried = await post(client, form)
    assert retried.status_code == 200
    assert await count_rows(settings.resolved_database_url, "tips") == 1


async def test_a_stop_sent_during_the_outage_destroys_the_number_once_replayed(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, own_postgres: OwnPostgresServer
) -> None:
    await post(client, sms_form(sender=SENDER, body=WORDS))
    own_postgres.stop()

    stopped = await post(client, sms_form(sender=SENDER, body="STOP"))

    assert "vous ne recevrez plus de messages" in stopped.text
    own_postgres.start()
    [before] = await fetch_all(settings.resolved_database_url, select(Reporter))
    assert before.identity_ciphertext is not None
    await replay(app)
    [after] = await fetch_all(settings.resolved_database_url, select(Reporter))
    assert after.identity_ciphertext is None
    assert after.opted_out_at is not None


async def test_the_api_process_replays_the_spool_by_itself_once_the_database_is_back(
    tmp_path: Path, own_database_url: str, own_postgres: OwnPostgresServer
) -> None:
    settings = make_settings(tmp_path, own_database_url, spool_replay_seconds=0.2)
    form = sms_form(sender=SENDER, body=WORDS)
    async with running_app(settings) as application, http_client(application) as client:
        own_postgres.stop()
        response = await post(client, form)
        own_postgres.start()
        for _ in range(100):  # bounded: 10 s at most
            if spool_text(settings) == "":
                break
            await asyncio.sleep(0.1)

    [tip] = await fetch_all(own_database_url, select(Tip))
    assert tip.reference == reference_in(response)


async def test_a_database_error_that_is_no_outage_is_a_503_in_json_not_a_traceback(
    tmp_path: Path, own_postgres: OwnPostgresServer
) -> None:
    # A database without the schema: every query fails, and nothing is spooled for it.
    url = own_postgres.create_database(f"empty_{uuid.uuid4().hex[:10]}", migrated=False)
    settings = make_settings(tmp_path, url)
    async with running_app(settings) as application, http_client(application) as client:
        response = await post(client, sms_form(sender=SENDER, body=WORDS))

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == "database_unavailable"
    assert "Traceback" not in response.text
    assert spool_text(settings) == ""


async def test_a_failed_spool_write_leaves_no_partial_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring, _ = load_or_create_keyring(tmp_path / "keyring.json")
    spool = IntakeSpool(tmp_path / "spool", keyring)
    await spool.keep_message(incoming(sms_form(sender=SENDER, body=WORDS)))
    [path] = (tmp_path / "spool").glob("intake-*.jsonl")
    size = path.stat().st_size

    def full_disk(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(ServiceUnavailable):
        await spool.keep_message(incoming(sms_form(sender=SENDER, body="autre")))

    assert path.stat().st_size == size
    assert path.read_bytes().count(b"\n") == 1
    spool.close()


def incoming(form: dict[str, str]) -> IncomingMessage:
    return IncomingMessage(
        channel="sms",
        body=form["Body"],
        received_at=datetime.now(UTC),
        provider_id=form["MessageSid"],
        sender=form["From"],
    )
