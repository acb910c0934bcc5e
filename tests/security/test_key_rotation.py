"""``tipline keys rotate`` on a live service: every kind of key, intake answering throughout,
and a rotation cut short resumes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import httpx
from sqlalchemy import func, select
from sqlmodel import col

from crypto import (
    Purpose,
    blind_index,
    key_id_of,
    load_keyring,
    load_or_create_keyring,
    new_pseudonym,
    normalise_phone,
    open_text,
    provider_id_hash,
    seal_text,
)
from service.core.db import create_engine, create_sessionmaker, transaction
from service.core.provider_ids import message_context, open_provider_id
from service.models import Message, Reporter, Role
from service.reporters.keys import CATCH_UP_ROUNDS, rotate_keys
from service.settings import Settings
from tests.reliability.harness import Delivery, ServerProcess, environment_of, fetch_rows, post
from tests.support.console import create_staff
from tests.support.databases import TEST_LIMITS
from tests.support.twilio import sms_form


async def _send(client: httpx.AsyncClient, sender: str, body: str) -> int | None:
    delivery = Delivery(sms_form(sender=sender, body=body))
    await post(client, delivery)
    return delivery.status


def _tipline(settings: Settings, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *arguments],
        env=os.environ | environment_of(settings),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


async def _message_keys(settings: Settings) -> set[str]:
    rows = await fetch_rows(settings.resolved_database_url, select(col(Message.body_ciphertext)))
    return {key_id_of(row[0]) for row in rows}


async def _reporters(settings: Settings) -> list[tuple[bytes | None]]:
    statement = select(col(Reporter.identity_ciphertext))
    return [(row[0],) for row in await fetch_rows(settings.resolved_database_url, statement)]


async def test_rotation_replaces_every_kind_of_key_while_intake_answers(
    settings: Settings, server: ServerProcess
) -> None:
    await create_staff(settings, role=Role.ADMIN)
    before = load_keyring(settings.resolved_keyring_path)
    statuses: list[int | None] = []
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        statuses.append(await _send(client, "+22376200001", "yamba vendu au marché de Medina"))
        rotation = asyncio.create_task(asyncio.to_thread(_tipline, settings, "keys", "rotate"))
        number = 0
        while not rotation.done():
            number += 1
            statuses.append(await _send(client, f"+2237630{number:04d}", "livraison ce soir"))
            await asyncio.sleep(0.2)
        result = await rotation
        # The first number again: its blind index, recomputed, still finds its reporter.
        statuses.append(await _send(client, "+22376200001", "encore un détail"))

    assert result.returncode == 0, result.stderr
    assert set(statuses) == {200}
    after = load_keyring(settings.resolved_keyring_path)
    for purpose in Purpose:
        assert after.active(purpose).key_id != before.active(purpose).key_id
    for purpose in (Purpose.IDENTITY, Purpose.CONTENT, Purpose.INDEX, Purpose.PROVIDER_ID):
        assert [key.key_id for key in after.keys(purpose)] == [after.active(purpose).key_id]
    assert before.active(Purpose.AUDIT).key_id in {k.key_id for k in after.keys(Purpose.AUDIT)}
    assert await _message_keys(settings) == {after.active(Purpose.CONTENT).key_id}
    identities = await _reporters(settings)
    assert len(identities) == number + 1  # the returning number made no second reporter
    assert {key_id_of(sealed) for (sealed,) in identities if sealed} == {
        after.active(Purpose.IDENTITY).key_id
    }
    # Twilio's ids still held (no Twilio here to delete them) are hashed under the new key.
    held = await fetch_rows(
        settings.resolved_database_url,
        select(col(Message.id), col(Message.provider_id_hash), col(Message.provider_id_sealed)),
    )
    assert held
    for message_id, hashed, sealed in held:
        sid = open_provider_id(after, sealed, context=message_context(message_id))
        assert sid is not None
        assert hashed == provider_id_hash(after, sid)
    verified = _tipline(settings, "audit", "verify")
    assert verified.returncode == 0, verified.stderr


async def test_a_rotation_cut_short_resumes_and_finishes(
    settings: Settings, server: ServerProcess
) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        for number in range(6):
            assert await _send(client, f"+2237640{number:04d}", "yamba à Banconi") == 200

    first = await rotate_keys(settings, batch_size=2, settle_seconds=0, stop_after_batches=6)
    keyring = load_keyring(settings.resolved_keyring_path)
    mixed = await _message_keys(settings)
    resumed = await rotate_keys(settings, batch_size=2, settle_seconds=0)

    assert first.resealed > 0
    assert len(mixed) == 2  # cut half-way: old and new keys side by side, both held
    assert keyring.active(Purpose.CONTENT).key_id in mixed
    assert resumed.retired
    final = load_keyring(settings.resolved_keyring_path)
    assert final.active(Purpose.CONTENT).key_id == keyring.active(Purpose.CONTENT).key_id
    assert await _message_keys(settings) == {final.active(Purpose.CONTENT).key_id}
    count = await fetch_rows(
        settings.resolved_database_url, select(func.count()).select_from(Message)
    )
    assert count[0][0] == 6


class _LateProcess:
    """A process that still seals under the keys active before the rotation (it learned the new
    ones late): each call writes one more reporter under the old identity and index keys."""

    def __init__(self, settings: Settings, *, writes: int) -> None:
        self._settings = settings
        self._writes = writes
        self._old = load_keyring(settings.resolved_keyring_path)
        self.phones: list[str] = []

    async def __call__(self) -> None:
        if len(self.phones) >= self._writes:
            return
        keyring = load_keyring(self._settings.resolved_keyring_path)
        for purpose in (Purpose.IDENTITY, Purpose.INDEX):
            keyring = keyring.activated(purpose, self._old.active(purpose).key_id)
        phone = f"+2237650{len(self.phones):04d}"
        reporter = Reporter(
            blind_index=blind_index(keyring, normalise_phone(phone)), pseudonym=new_pseudonym()
        )
        reporter.identity_ciphertext = seal_text(
            keyring, Purpose.IDENTITY, phone, context=f"reporter:{reporter.id}"
        )
        engine = create_engine(self._settings.resolved_database_url, TEST_LIMITS)
        try:
            async with transaction(create_sessionmaker(engine)) as session:
                session.add(reporter)
        finally:
            await engine.dispose()
        self.phones.append(phone)


async def test_a_value_sealed_under_an_old_key_behind_the_pass_is_caught_up_before_retiring(
    settings: Settings,
) -> None:
    load_or_create_keyring(settings.resolved_keyring_path)
    late = _LateProcess(settings, writes=1)

    report = await rotate_keys(settings, settle_seconds=0, before_catch_up_check=late)

    assert report.retired
    assert report.left_under_old_keys == 0
    final = load_keyring(settings.resolved_keyring_path)
    (phone,) = late.phones
    rows = await fetch_rows(
        settings.resolved_database_url,
        select(col(Reporter.id), col(Reporter.identity_ciphertext), col(Reporter.blind_index)),
    )
    (reporter_id, sealed, index) = rows[0]
    assert sealed is not None
    # Readable with the keys left, and found again by its number under the new index key.
    assert open_text(final, Purpose.IDENTITY, sealed, context=f"reporter:{reporter_id}") == phone
    assert index == blind_index(final, normalise_phone(phone))


async def test_old_keys_stay_while_a_late_process_keeps_sealing_under_them(
    settings: Settings,
) -> None:
    load_or_create_keyring(settings.resolved_keyring_path)
    before = load_keyring(settings.resolved_keyring_path)
    late = _LateProcess(settings, writes=CATCH_UP_ROUNDS + 1)

    stuck = await rotate_keys(settings, settle_seconds=0, before_catch_up_check=late)
    kept = load_keyring(settings.resolved_keyring_path)
    finished = await rotate_keys(settings, settle_seconds=0)

    assert not stuck.retired
    assert stuck.left_under_old_keys == 1
    old_identity = before.active(Purpose.IDENTITY).key_id
    assert old_identity in {key.key_id for key in kept.keys(Purpose.IDENTITY)}
    # Run again once the late process is gone: the same rotation resumes and retires.
    assert finished.retired
    final = load_keyring(settings.resolved_keyring_path)
    assert final.active(Purpose.IDENTITY).key_id == kept.active(Purpose.IDENTITY).key_id
    assert [key.key_id for key in final.keys(Purpose.IDENTITY)] == [
        final.active(Purpose.IDENTITY).key_id
    ]
    rows = await fetch_rows(
        settings.resolved_database_url, select(col(Reporter.identity_ciphertext))
    )
    assert len(rows) == len(late.phones)
    assert {key_id_of(sealed) for (sealed,) in rows} == {final.active(Purpose.IDENTITY).key_id}
