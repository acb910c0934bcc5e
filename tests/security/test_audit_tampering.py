"""The audit trail resists someone who can write the database but not read the keyring.

Entries are made through the real sign-in page; the attacker then edits the rows with SQL and
re-chains them with the published algorithm; ``tipline audit verify`` (a real process) must say
so. Entries cut from the end leave a valid shorter chain: the anchor outside the database
catches them.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, text

from service.core.audit import GENESIS_HASH, anchor_path, entry_digest, record_audit
from service.core.db import create_engine, create_sessionmaker, transaction
from service.models import AuditEntry
from service.settings import Settings
from tests.support.app import http_client, running_app
from tests.support.console import form_csrf_token


async def _failed_sign_ins(http: httpx.AsyncClient, count: int) -> None:
    for attempt in range(count):
        page = await http.get("/console/connexion")
        response = await http.post(
            "/console/connexion",
            data={
                "csrf_token": form_csrf_token(page.text),
                "username": f"personne-{attempt}",
                "password": "pas le bon mot de passe",
            },
        )
        assert response.status_code == 401


async def _tipline_audit_verify(
    settings: Settings, *options: str
) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "TIPLINE_DATABASE_URL": settings.resolved_database_url,
        "TIPLINE_DATA_DIR": str(settings.data_dir),
        "TIPLINE_KEYRING": str(settings.resolved_keyring_path),
    }
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "service.cli", "audit", "verify", *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _execute(settings: Settings, statement: str) -> None:
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _rechain_without_the_key(settings: Settings) -> None:
    """What a database writer can do: renumber and re-hash every row with plain SHA-256."""
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            entries = (
                await session.scalars(select(AuditEntry).order_by(AuditEntry.sequence))  # type: ignore[arg-type]
            ).all()
            rows: list[dict[str, Any]] = [
                {
                    "recorded_at": e.recorded_at,
                    "actor_id": e.actor_id,
                    "actor_username": e.actor_username,
                    "actor_role": e.actor_role,
                    "action": e.action,
                    "target": e.target,
                    "details_json": e.details_json,
                }
                for e in entries
            ]
            for entry in entries:
                await session.delete(entry)
            await session.flush()
            previous = GENESIS_HASH
            for sequence, row in enumerate(rows, start=1):
                forged = AuditEntry(sequence=sequence, previous_hash=previous, entry_hash="", **row)
                forged.entry_hash = entry_digest(forged)
                previous = forged.entry_hash
                session.add(forged)
    finally:
        await engine.dispose()


async def test_a_rewritten_entry_rechained_without_the_key_is_found(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await _failed_sign_ins(client, 5)
    assert (await _tipline_audit_verify(settings)).returncode == 0

    await _execute(settings, "UPDATE audit_entries SET action = 'rien' WHERE sequence = 3")
    await _rechain_without_the_key(settings)

    result = await _tipline_audit_verify(settings)
    assert result.returncode == 1
    assert "n° 1" in result.stderr


async def test_an_entry_removed_from_the_middle_and_rechained_is_found(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await _failed_sign_ins(client, 5)

    await _execute(settings, "DELETE FROM audit_entries WHERE sequence = 2")
    await _rechain_without_the_key(settings)

    result = await _tipline_audit_verify(settings)
    assert result.returncode == 1
    assert "ERREUR" in result.stderr


async def test_entries_cut_from_the_end_are_found_through_the_anchor(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, captured_logs: io.StringIO
) -> None:
    await _failed_sign_ins(client, 5)
    checkpoints = [
        json.loads(line) for line in anchor_path(settings.data_dir).read_text().splitlines()
    ]
    assert [c["sequence"] for c in checkpoints] == [1, 2, 3, 4, 5]
    assert '"event": "audit_checkpoint"' in captured_logs.getvalue()

    await _execute(settings, "DELETE FROM audit_entries WHERE sequence >= 4")

    result = await _tipline_audit_verify(settings)
    assert result.returncode == 1
    assert "tronqué" in result.stderr
    assert "n° 5" in result.stderr


async def test_a_trail_begun_before_the_key_verifies_and_its_old_part_stays_protected(
    settings: Settings,
) -> None:
    """Entries from before the switch (plain SHA-256) still verify; once keyed entries follow
    them, re-chaining the whole trail in the old way is found."""
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            for number in range(3):
                await record_audit(session=session, actor=None, action=f"avant_{number}")
    finally:
        await engine.dispose()
    async with running_app(settings) as application, http_client(application) as http:
        await _failed_sign_ins(http, 3)

    result = await _tipline_audit_verify(settings)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK 6 entrées"

    await _execute(settings, "UPDATE audit_entries SET action = 'autre' WHERE sequence = 2")
    await _rechain_without_the_key(settings)
    result = await _tipline_audit_verify(settings)
    assert result.returncode == 1


async def test_a_resumed_verification_starts_at_the_last_point_verified(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    """The first walk writes how far it got; a resumed walk reads only what follows, and still
    finds a rewritten entry there, or a rewritten point it would start from."""
    await _failed_sign_ins(client, 5)
    full = await _tipline_audit_verify(settings)
    assert full.returncode == 0
    assert full.stdout.strip() == "OK 5 entrées"  # the progress bar is on standard error
    point = json.loads((settings.data_dir / "audit-verified.json").read_text())
    assert point["sequence"] == 5

    await _failed_sign_ins(client, 3)
    resumed = await _tipline_audit_verify(settings, "--reprendre")
    assert (resumed.returncode, resumed.stdout.strip()) == (0, "OK 8 entrées")
    assert json.loads((settings.data_dir / "audit-verified.json").read_text())["sequence"] == 8

    await _failed_sign_ins(client, 2)
    await _execute(settings, "UPDATE audit_entries SET action = 'rien' WHERE sequence = 9")
    after_tampering = await _tipline_audit_verify(settings, "--reprendre")
    assert after_tampering.returncode == 1
    assert "n° 9" in after_tampering.stderr

    # The first digit flipped to another one: a hash that already began with "f" stays changed.
    await _execute(
        settings,
        "UPDATE audit_entries SET entry_hash = CASE substr(entry_hash, 1, 1) WHEN 'f' THEN '0' "
        "ELSE 'f' END || substr(entry_hash, 2) WHERE sequence = 8",
    )
    moved_point = await _tipline_audit_verify(settings, "--reprendre")
    assert moved_point.returncode == 1
    assert "n° 8" in moved_point.stderr
