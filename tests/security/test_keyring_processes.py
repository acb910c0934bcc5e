"""The keyring under running processes: reloaded on change, a broken file refused, and a
service holding data never given a fresh keyring."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from crypto import Purpose, key_id_of, load_keyring, save_keyring
from service.models import Message, Role
from service.settings import Settings
from tests.reliability.harness import Delivery, ServerProcess, environment_of, fetch_rows, post
from tests.support.console import create_staff
from tests.support.twilio import sms_form

# The processes look at the keyring file every two seconds.
_RELOADED_WITHIN = 6.0


async def _send(server: ServerProcess, sender: str, body: str) -> None:
    delivery = Delivery(sms_form(sender=sender, body=body))
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        await post(client, delivery)
    assert delivery.status == 200


async def _content_key_ids(settings: Settings) -> list[str]:
    statement = select(col(Message.body_ciphertext)).order_by(col(Message.created_at))
    rows = await fetch_rows(settings.resolved_database_url, statement)
    return [key_id_of(row[0]) for row in rows]


async def test_a_running_process_seals_under_a_key_made_active_in_the_file(
    settings: Settings, server: ServerProcess
) -> None:
    path = settings.resolved_keyring_path
    first = load_keyring(path).active(Purpose.CONTENT).key_id
    await _send(server, "+22376100001", "yamba vendu derrière la gare ce soir")

    rotated = load_keyring(path).rotated(Purpose.CONTENT)
    save_keyring(path, rotated)
    await asyncio.sleep(_RELOADED_WITHIN)
    await _send(server, "+22376100002", "livraison de comprimés au marché demain")

    assert await _content_key_ids(settings) == [first, rotated.active(Purpose.CONTENT).key_id]


async def test_a_broken_keyring_file_is_refused_and_the_last_good_one_kept(
    settings: Settings, server: ServerProcess
) -> None:
    path = settings.resolved_keyring_path
    good = load_keyring(path).active(Purpose.CONTENT).key_id
    path.write_text('{"version": 1, "active": {')  # an edit saved half-way
    os.chmod(path, 0o600)
    await asyncio.sleep(_RELOADED_WITHIN)

    await _send(server, "+22376100003", "yamba vendu au bord du fleuve")

    assert server.alive
    assert await _content_key_ids(settings) == [good]
    assert "keyring change refused" in server.log_path(1).read_text(errors="replace")


def _serve(settings: Settings, port: int = 9) -> subprocess.CompletedProcess[str]:
    """``tipline serve`` as an operator starts it; a refused start exits before listening."""
    env = os.environ | environment_of(settings)
    return subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("damage", ["missing", "unreadable"])
async def test_a_service_holding_data_without_its_keyring_refuses_to_start(
    settings: Settings, damage: str
) -> None:
    await create_staff(settings, role=Role.ADMIN)  # a sealed TOTP secret: data under the keyring
    path = settings.resolved_keyring_path
    if damage == "missing":
        path.unlink()
    else:
        path.write_text("pas du JSON")
        os.chmod(path, 0o600)

    result = await asyncio.to_thread(_serve, settings)

    assert result.returncode == 2
    # The refusal is the process's one line, in JSON like everything it logs.
    [refusal] = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert refusal["event"] == "keyring_refused"
    assert "Trousseau de clés" in refusal["reason"]
    if damage == "missing":
        assert not path.exists()  # no fresh keyring beside the data
    else:
        assert path.read_text() == "pas du JSON"
