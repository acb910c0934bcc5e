"""The audit trail is hash-chained: an edited, removed or reordered entry is found."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from service.core.audit import (
    AuditDetailsRefused,
    AuditRecord,
    entry_digest,
    record_audit,
    record_audits,
)
from service.core.audit_verification import verify_chain
from service.core.db import create_engine, create_sessionmaker, transaction
from service.models import AuditEntry, Role, StaffUser
from service.settings import Settings
from tests.support.console import create_staff


async def _record(settings: Settings, count: int) -> StaffUser:
    account = await create_staff(settings, role=Role.DUTY_OFFICER)
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            actor = await session.get(StaffUser, account.id)
            for number in range(count):
                await record_audit(
                    session=session,
                    actor=actor,
                    action="tip_viewed",
                    target=f"tip:OCS-TEST-{number:04d}",
                    details={"number": str(number)},
                )
    finally:
        await engine.dispose()
    assert actor is not None
    return actor


async def _execute(settings: Settings, statement: str) -> None:
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _verify(settings: Settings) -> int | None:
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with create_sessionmaker(engine)() as session:
            return await verify_chain(session=session)
    finally:
        await engine.dispose()


async def _tipline_audit_verify(settings: Settings) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "TIPLINE_DATABASE_URL": settings.resolved_database_url,
        "TIPLINE_DATA_DIR": str(settings.data_dir),
        "TIPLINE_KEYRING": str(settings.resolved_keyring_path),
    }
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "service.cli", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_an_intact_chain_verifies_and_the_command_says_ok(settings: Settings) -> None:
    await _record(settings, 5)

    assert await _verify(settings) is None
    result = await _tipline_audit_verify(settings)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK 5 entrées"


async def test_an_empty_trail_is_intact(settings: Settings) -> None:
    result = await _tipline_audit_verify(settings)

    assert result.returncode == 0
    assert result.stdout.strip() == "OK 0 entrées"


async def test_an_edited_row_breaks_the_chain_at_that_row(settings: Settings) -> None:
    await _record(settings, 5)
    await _execute(
        settings, "UPDATE audit_entries SET action = 'nothing_to_see' WHERE sequence = 3"
    )

    assert await _verify(settings) == 3
    result = await _tipline_audit_verify(settings)
    assert result.returncode != 0
    assert "n° 3" in result.stderr


async def test_a_rehashed_edit_still_breaks_the_next_link(settings: Settings) -> None:
    """Recomputing the edited row's own hash does not help: the next row names the old one."""
    await _record(settings, 4)
    await _execute(settings, "UPDATE audit_entries SET target = 'tip:autre' WHERE sequence = 2")
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            edited = await session.get(AuditEntry, 2)
            assert edited is not None
            edited.entry_hash = entry_digest(edited)
    finally:
        await engine.dispose()

    assert await _verify(settings) == 3


async def test_a_deleted_row_breaks_the_chain_where_it_was(settings: Settings) -> None:
    await _record(settings, 5)
    await _execute(settings, "DELETE FROM audit_entries WHERE sequence = 2")

    assert await _verify(settings) == 2


async def test_entries_link_to_their_predecessor(settings: Settings) -> None:
    await _record(settings, 3)
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT previous_hash, entry_hash FROM audit_entries ORDER BY sequence")
                )
            ).all()
    finally:
        await engine.dispose()

    assert rows[0].previous_hash == "0" * 64
    assert [row.previous_hash for row in rows[1:]] == [row.entry_hash for row in rows[:-1]]


@pytest.mark.parametrize("value", ["+22376123456", "76 12 34 56 78", "0022376123456", "x" * 201])
async def test_details_refuse_phone_numbers_and_long_text(settings: Settings, value: str) -> None:
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with create_sessionmaker(engine)() as session:
            with pytest.raises(AuditDetailsRefused):
                await record_audit(
                    session=session, actor=None, action="test", details={"value": value}
                )
    finally:
        await engine.dispose()


async def test_tip_references_are_accepted_in_details(settings: Settings) -> None:
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            entry = await record_audit(
                session=session,
                actor=None,
                action="tip_merged",
                details={"into": "OCS-2345-6789"},
            )
    finally:
        await engine.dispose()

    assert entry.sequence == 1


async def test_appends_from_concurrent_transactions_never_fork_the_chain(
    settings: Settings,
) -> None:
    engine = create_engine(settings.resolved_database_url, settings)
    sessions = create_sessionmaker(engine)

    async def append(number: int) -> None:
        async with transaction(sessions) as session:
            await record_audit(session=session, actor=None, action=f"concurrent_{number}")

    try:
        outcomes = await asyncio.gather(*(append(n) for n in range(8)), return_exceptions=True)
    finally:
        await engine.dispose()

    # Serialised (PostgreSQL's advisory lock, SQLite's write lock): none fails, none forks.
    assert outcomes == [None] * 8
    assert await _verify(settings) is None


async def test_a_batch_appended_after_single_entries_continues_the_chain(
    settings: Settings,
) -> None:
    """``record_audits`` chains its entries in memory: each names the one before it, the first
    names the stored tail, and an edit inside the batch breaks the chain there."""
    actor = await _record(settings, 2)
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            records = [
                AuditRecord(actor=None, action="tip.content_erased", target=f"tip:{n}")
                for n in range(4)
            ]
            entries = await record_audits(session=session, records=records)
            await record_audit(session=session, actor=actor, action="tip_viewed")
    finally:
        await engine.dispose()

    assert [entry.sequence for entry in entries] == [3, 4, 5, 6]
    assert await _verify(settings) is None
    await _execute(settings, "UPDATE audit_entries SET target = 'tip:x' WHERE sequence = 5")
    assert await _verify(settings) == 5
