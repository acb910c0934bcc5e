"""Destroyed means destroyed: after STOP, Twilio's error 21610 or the retention pass, nothing in a
full dump of the database can be matched to the number — not its ciphertext, not its blind
index — even by someone holding every key of the keyring and trying every number around it.
The number, if it comes back, is a new source."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
from alembic import command
from fastapi import FastAPI
from sqlalchemy import insert, select
from sqlmodel import col

from crypto import (
    DecryptionError,
    Keyring,
    Purpose,
    blind_index,
    load_or_create_keyring,
    open_text,
)
from service.core.db import transaction
from service.core.migrate import alembic_config, upgrade_to_head
from service.models import Reporter, StaffAlertPhone, Tip
from service.models.types import utcnow
from service.retention.jobs import run_retention
from service.runtime import Runtime
from tests.reporters.test_deliveries import STATUS_PATH, status_form
from tests.support.channel_fixtures import (
    ask_reporter,
    post_signed,
    runtime_of_app,
    settle,
)
from tests.support.fake_twilio import FakeTwilio
from tests.support.inspect import execute, fetch_all
from tests.support.sweep import database_text
from tests.support.twilio import sms_form

SMS_PATH = "/channels/sms/twilio"
NUMBER = "+22376543210"
# The numbers sharing all but the last five digits of the number: 100,000, itself among them.
_PREFIX = NUMBER[:-5]
_HEX64 = re.compile(rb"[0-9a-f]{64}")


def candidates() -> list[str]:
    return [f"{_PREFIX}{n:05d}" for n in range(100_000)]


def every_key(keyring: Keyring) -> list[bytes]:
    return [key.secret for purpose in Purpose for key in keyring.keys(purpose)]


def brute_forced(keyring: Keyring, dump: str) -> list[str]:
    """The candidate numbers whose keyed hash, under any key of any kind, is in the dump (with
    the blind index's domain prefix and without)."""
    stored = set(_HEX64.findall(dump.encode("utf-8", "replace")))
    found = []
    for secret in every_key(keyring):
        for number in candidates():
            for message in (b"phone:" + number.encode(), number.encode()):
                if hmac.new(secret, message, hashlib.sha256).hexdigest().encode() in stored:
                    found.append(number)
    return found


async def numbers_still_readable(runtime: Runtime) -> list[str]:
    """Every identity ciphertext left in the database, opened with the keyring."""
    url = runtime.settings.resolved_database_url
    readable = []
    for reporter in await fetch_all(url, select(Reporter)):
        if reporter.identity_ciphertext is not None:
            readable.append(
                _opened(runtime, reporter.identity_ciphertext, f"reporter:{reporter.id}")
            )
    for phone in await fetch_all(url, select(StaffAlertPhone)):
        readable.append(_opened(runtime, phone.phone_ciphertext, f"staff_phone:{phone.staff_id}"))
    return readable


def _opened(runtime: Runtime, sealed: bytes, context: str) -> str:
    try:
        return open_text(runtime.keyring, Purpose.IDENTITY, sealed, context=context)
    except DecryptionError:
        return ""


async def _sms(client: httpx.AsyncClient, body: str) -> httpx.Response:
    response = await post_signed(client, SMS_PATH, sms_form(sender=NUMBER, body=body))
    assert response.status_code == 200
    return response


async def _reference(client: httpx.AsyncClient) -> str:
    response = await _sms(client, "yamba ka feere Kalaban coura ce soir")
    return response.text.split("Référence ")[1][:13]


async def _assert_destroyed(runtime: Runtime) -> None:
    assert NUMBER not in await numbers_still_readable(runtime)
    dump = await database_text(runtime.settings.resolved_database_url)
    assert NUMBER not in dump
    assert NUMBER[4:] not in dump
    assert brute_forced(runtime.keyring, dump) == []


async def _assert_a_new_source_when_it_returns(runtime: Runtime, client: httpx.AsyncClient) -> None:
    url = runtime.settings.resolved_database_url
    [before] = await fetch_all(url, select(Reporter))
    await _sms(client, "encore du yamba au même endroit")
    reporters = await fetch_all(url, select(Reporter))
    assert len(reporters) == 2
    [returning] = [r for r in reporters if r.id != before.id]
    assert returning.pseudonym != before.pseudonym
    assert returning.identity_ciphertext is not None
    tips = await fetch_all(url, select(Tip).where(col(Tip.reporter_id) == returning.id))
    assert len(tips) == 1  # a tip of its own, not the old conversation


async def test_after_stop_no_key_of_the_keyring_finds_the_number(
    channel_app: FastAPI, channel_client: httpx.AsyncClient
) -> None:
    runtime = runtime_of_app(channel_app)
    await _reference(channel_client)
    # Before: the brute force does find it (the test can see what it looks for).
    dump = await database_text(runtime.settings.resolved_database_url)
    assert brute_forced(runtime.keyring, dump) == [NUMBER]

    await _sms(channel_client, "STOP")

    await _assert_destroyed(runtime)
    await _assert_a_new_source_when_it_returns(runtime, channel_client)


async def test_after_twilio_error_21610_no_key_of_the_keyring_finds_the_number(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    runtime = runtime_of_app(channel_app)
    reference = await _reference(channel_client)
    await ask_reporter(runtime, reference, "Où exactement ?")
    await settle(channel_app)
    [reply] = fake_twilio.sent

    response = await post_signed(
        channel_client, STATUS_PATH, status_form(reply.sid, "failed", "21610")
    )

    assert response.status_code == 204
    await _assert_destroyed(runtime)
    await _assert_a_new_source_when_it_returns(runtime, channel_client)


async def test_after_the_retention_pass_no_key_of_the_keyring_finds_the_number(
    channel_app: FastAPI, channel_client: httpx.AsyncClient
) -> None:
    runtime = runtime_of_app(channel_app)
    reference = await _reference(channel_client)
    await settle(channel_app)
    async with transaction(runtime.sessions) as session:
        tip = (await session.scalars(select(Tip).where(col(Tip.reference) == reference))).one()
        tip.mark_closed(utcnow())

    totals = await run_retention(runtime, now=utcnow() + timedelta(days=91))

    assert totals.identities_destroyed == 1
    await _assert_destroyed(runtime)
    await _assert_a_new_source_when_it_returns(runtime, channel_client)


async def test_identities_destroyed_before_the_upgrade_lose_their_blind_index(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    keyring_path = tmp_path / "keyring.json"
    keyring, _ = load_or_create_keyring(keyring_path)
    await asyncio.to_thread(command.upgrade, alembic_config(url, keyring_path), "0005")
    old_index = blind_index(keyring, NUMBER)
    destroyed, kept = uuid.uuid4(), uuid.uuid4()  # a number destroyed before 0006, and one live
    kept_index = blind_index(keyring, "+22370000001")
    reporter = {"created_at": utcnow(), "identity_ciphertext": None, "identity_destroyed_at": None}
    await execute(
        url,
        insert(Reporter).values(
            [
                reporter
                | {
                    "id": destroyed,
                    "blind_index": old_index,
                    "pseudonym": "SRC-AAAAAA",
                    "identity_destroyed_at": utcnow(),
                },
                reporter | {"id": kept, "blind_index": kept_index, "pseudonym": "SRC-BBBBBB"},
            ]
        ),
    )

    await asyncio.to_thread(upgrade_to_head, url, keyring_path)

    rows = {r.id: r for r in await fetch_all(url, select(Reporter))}
    assert rows[destroyed].blind_index != old_index
    assert rows[kept].blind_index == kept_index  # a live identity keeps its index
    assert brute_forced(keyring, await database_text(url)) == []
