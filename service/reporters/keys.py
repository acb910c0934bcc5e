"""Key rotation on a live system: every kind of key, in short batches, resumable.

``tipline keys rotate`` goes through four steps, each written down in a state file beside the
keyring so that a rotation cut short (a crash, a kill) resumes where it stopped when run again:

1. **add**: a new key per kind is written to the keyring file, not yet active. Running processes
   reload the file within seconds (``crypto.live``) and so can open what the new keys will seal.
2. **activate**: once every process had time to learn them, the new keys become active: new
   writes use them. The old keys stay, so nothing a process sealed a moment ago is unreadable.
3. **re-seal**: every stored ciphertext (identities, alert numbers, Twilio ids still held,
   texts, notes, decisions, attachments, TOTP secrets) is re-sealed under the new key, every
   blind index recomputed, and every provider-id hash whose id is still held (sealed, until
   Twilio's copy is deleted) recomputed, in keyset batches of ``batch_size`` rows, each batch
   its own short transaction: intake keeps answering throughout, and a row already under the
   new key is skipped.
4. **catch up**: a process that learned the new keys late (stalled, paused, on a slow disk) may
   have sealed a row under an old key behind the re-seal pass. The database is asked which rows
   still start with an old key's header (``crypto.sealed_prefix``); those rows alone are
   re-sealed, re-indexed and re-hashed, a few rounds at most.
5. **retire**: the old identity, content, index and provider-id keys leave the file once nothing
   is sealed under them (and no spool file still waits: spooled records are sealed under the
   keys of their day). If rows are still under an old key after the catch-up rounds, nothing is
   retired and the rotation stays open: run it again to finish. Old audit keys stay: they are
   what verifies the older part of the audit trail.

A provider-id hash cannot be recomputed without the id, and the id is kept only while Twilio
holds its copy. So the hashes of messages already deleted at Twilio stay under the old key and,
once it is retired, match nothing any more: nobody can recompute them, not even us. Nothing is
lost by it: Twilio sends no retry or status callback for what it no longer holds. Until the old
key leaves, look-ups try every provider-id key (``crypto.provider_id_hashes``).

Which columns each kind of key protects is the table ``SEALED_COLUMNS`` below, and which kinds
exist is ``crypto.Purpose``: a new kind of key is a line there and, if it seals columns, here.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    LargeBinary,
    Select,
    Table,
    bindparam,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy import literal as sql_literal
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import (
    Keyring,
    Purpose,
    blind_index,
    load_keyring,
    normalise_phone,
    open_text,
    provider_id_hash,
    reseal,
    save_keyring,
    sealed_prefix,
)
from service.core.audit import record_audit, sealed_sessions_info
from service.core.db import SessionMaker, create_engine, create_sessionmaker, transaction
from service.models import (
    Attachment,
    InternalNote,
    Message,
    Reporter,
    StaffAlertPhone,
    StaffUser,
    Tip,
    TriageDecision,
)
from service.settings import Settings

# Running processes look at the keyring file every two seconds (``crypto.live``): wait well past
# that between writing a key and relying on every process knowing it.
SETTLE_SECONDS = 6.0
# Old keys kept after a rotation: what they verify is meant to stay verifiable.
_KEPT_AFTER_ROTATION = frozenset({Purpose.AUDIT})
# Catch-up rounds before a rotation gives up retiring (a process still sealing under old keys).
CATCH_UP_ROUNDS = 3


@dataclass(frozen=True)
class SealedColumn:
    """A column sealed under ``purpose``; ``context`` gives a row's associated data from its
    primary key."""

    table: Table
    key: str  # the primary-key column (keyset pagination)
    column: str
    purpose: Purpose
    context: Callable[[Any], str]


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _labelled(label: str) -> Callable[[Any], str]:
    return lambda key: f"{label}:{key}"


SEALED_COLUMNS: tuple[SealedColumn, ...] = (
    SealedColumn(
        _table(Reporter), "id", "identity_ciphertext", Purpose.IDENTITY, _labelled("reporter")
    ),
    SealedColumn(
        _table(StaffAlertPhone),
        "staff_id",
        "phone_ciphertext",
        Purpose.IDENTITY,
        _labelled("staff_phone"),
    ),
    SealedColumn(_table(Message), "id", "body_ciphertext", Purpose.CONTENT, _labelled("message")),
    SealedColumn(_table(Tip), "id", "place_hint_ciphertext", Purpose.CONTENT, _labelled("place")),
    SealedColumn(
        _table(TriageDecision), "id", "hits_ciphertext", Purpose.CONTENT, _labelled("decision")
    ),
    SealedColumn(_table(InternalNote), "id", "body_ciphertext", Purpose.CONTENT, _labelled("note")),
    SealedColumn(
        _table(Attachment), "id", "content_ciphertext", Purpose.CONTENT, _labelled("attachment")
    ),
    SealedColumn(
        _table(StaffUser), "id", "totp_secret_ciphertext", Purpose.CONTENT, _labelled("totp")
    ),
    SealedColumn(
        _table(Message),
        "id",
        "provider_id_sealed",
        Purpose.IDENTITY,
        _labelled("provider:message"),
    ),
    SealedColumn(
        _table(Attachment),
        "id",
        "provider_id_sealed",
        Purpose.IDENTITY,
        _labelled("provider:attachment"),
    ),
)


# Rows whose provider-id hash is recomputed from the id they still hold sealed.
_REHASHED = tuple(sealed for sealed in SEALED_COLUMNS if sealed.column == "provider_id_sealed")


@dataclass
class RotationReport:
    resealed: int = 0
    reindexed: int = 0
    rehashed: int = 0
    retired: bool = False
    # Values still under an old key after the catch-up: the old keys stay, run again to finish.
    left_under_old_keys: int = 0


async def rotate_keys(
    settings: Settings,
    *,
    batch_size: int = 200,
    settle_seconds: float = SETTLE_SECONDS,
    stop_after_batches: int | None = None,
    before_catch_up_check: Callable[[], Awaitable[None]] | None = None,
) -> RotationReport:
    """Rotate every kind of key (see the module docstring); resumes a rotation cut short.

    ``stop_after_batches`` stops after that many re-seal batches, as a crash would, and
    ``before_catch_up_check`` writes as a late process would (tests)."""
    path = settings.resolved_keyring_path
    state_path = path.with_name(path.name + ".rotation")
    state = _read_state(state_path)
    if state is not None and not _holds(load_keyring(path), state["new"]):
        state = None  # cut short before the new keys reached the file: start again
    if state is None:
        keyring = load_keyring(path)
        new_ids: dict[str, str] = {}
        for purpose in Purpose:
            keyring, key = keyring.with_new_key(purpose)
            new_ids[str(purpose)] = key.key_id
        old_ids = {str(p): load_keyring(path).active(p).key_id for p in Purpose}
        state = {"step": "added", "new": new_ids, "old": old_ids}
        _write_state(state_path, state)  # before the keyring: a resume knows which keys are new
        save_keyring(path, keyring)
        await asyncio.sleep(settle_seconds)
    if state["step"] == "added":
        keyring = load_keyring(path)
        for purpose in Purpose:
            keyring = keyring.activated(purpose, state["new"][str(purpose)])
        save_keyring(path, keyring)
        state["step"] = "active"
        _write_state(state_path, state)
        await asyncio.sleep(settle_seconds)
    report = RotationReport()
    # Re-encrypting every identity is long maintenance work: no statement bound.
    engine = create_engine(settings.resolved_database_url, settings, bound_statements=False)
    try:
        keyring = load_keyring(path)
        sessions = create_sessionmaker(
            engine, info=sealed_sessions_info(keyring, settings.data_dir)
        )
        passes = _passes(keyring, batch_size, old=None)
        if not await _reseal_all(sessions, passes, report, stop_after_batches):
            return report
        report.left_under_old_keys = await _catch_up(
            sessions, keyring, report, batch_size, before_catch_up_check
        )
        if report.left_under_old_keys:
            return report  # the state file stays: running again resumes and retires
        report.retired = _retire(settings, path, state)
        async with transaction(sessions) as session:
            details = {
                "resealed": str(report.resealed),
                "reindexed": str(report.reindexed),
                "rehashed": str(report.rehashed),
            }
            await record_audit(session=session, actor=None, action="keys_rotated", details=details)
    finally:
        await engine.dispose()
    state_path.unlink(missing_ok=True)
    return report


# One pass of the re-seal step: a batch after a key gives (the next key or None, rows changed).
_Batch = Callable[[AsyncSession, Any], Awaitable[tuple[Any, int]]]


def _passes(
    keyring: Keyring, batch_size: int, *, old: dict[Purpose, list[bytes]] | None
) -> list[tuple[str, _Batch]]:
    """The re-seal step's passes over every row (``old`` None), or, for the catch-up, over the
    rows still under an old key: hashes and indexes first, while their identities still say
    which rows they are."""

    def only(column: str, purpose: Purpose) -> _Only:
        return None if old is None else lambda table: _under(table.c[column], old[purpose])

    resealing: list[tuple[str, _Batch]] = [
        (
            "resealed",
            _bound(_reseal_batch, keyring, sealed, batch_size, only(sealed.column, sealed.purpose)),
        )
        for sealed in SEALED_COLUMNS
    ]
    rehashing: list[tuple[str, _Batch]] = [
        (
            "rehashed",
            _bound(
                _rehash_batch, keyring, sealed, batch_size, only(sealed.column, Purpose.IDENTITY)
            ),
        )
        for sealed in _REHASHED
    ]
    reindex_only = only("identity_ciphertext", Purpose.IDENTITY)
    reindexing: tuple[str, _Batch] = (
        "reindexed",
        lambda s, after: _reindex_batch(s, keyring, after, batch_size, reindex_only),
    )
    if old is None:
        return [*resealing, *rehashing, reindexing]
    return [*rehashing, reindexing, *resealing]


async def _reseal_all(
    sessions: SessionMaker,
    passes: list[tuple[str, _Batch]],
    report: RotationReport,
    stop_after_batches: int | None,
) -> bool:
    """Every pass in turn, batch by batch; False when stopped after ``stop_after_batches``."""
    batches = 0
    for counter, batch in passes:
        after: Any = None
        while True:
            if stop_after_batches is not None and batches >= stop_after_batches:
                return False
            async with transaction(sessions) as session:
                after, count = await batch(session, after)
            setattr(report, counter, getattr(report, counter) + count)
            batches += 1
            if after is None:
                break
    return True


async def _catch_up(
    sessions: SessionMaker,
    keyring: Keyring,
    report: RotationReport,
    batch_size: int,
    before_check: Callable[[], Awaitable[None]] | None,
) -> int:
    """Rows sealed under an old key after the re-seal pass went by, brought under the new keys;
    how many are still under an old key after ``CATCH_UP_ROUNDS`` rounds (0: safe to retire)."""
    old = {
        purpose: [
            sealed_prefix(key.key_id)
            for key in keyring.keys(purpose)
            if key.key_id != keyring.active(purpose).key_id
        ]
        for purpose in Purpose
    }
    for round_number in range(CATCH_UP_ROUNDS + 1):
        if before_check is not None:
            await before_check()
        left = await _count_under(sessions, old)
        if not left or round_number == CATCH_UP_ROUNDS:
            return left
        await _reseal_all(sessions, _passes(keyring, batch_size, old=old), report, None)
    return left


async def _count_under(sessions: SessionMaker, old: dict[Purpose, list[bytes]]) -> int:
    """Values still sealed under an old key, found by their header in SQL (a scan per column,
    once per catch-up round: nothing is opened or sent back)."""
    left = 0
    async with sessions() as session:
        for sealed in SEALED_COLUMNS:
            column = sealed.table.c[sealed.column]
            statement = select(func.count()).where(_under(column, old[sealed.purpose]))
            left += int(await session.scalar(statement.select_from(sealed.table)) or 0)
    return left


def _under(column: Any, prefixes: list[bytes]) -> ColumnElement[bool]:
    """``column`` holds a blob sealed under one of the keys whose headers are ``prefixes``."""
    if not prefixes:
        return false()
    return or_(
        *(
            func.substr(column, 1, len(prefix)) == sql_literal(prefix, LargeBinary)
            for prefix in prefixes
        )
    )


# A condition on a sealed column's table: the catch-up's "still under an old key".
_Only = Callable[[Table], ColumnElement[bool]] | None


def _bound(
    batch: Callable[
        [AsyncSession, Keyring, SealedColumn, Any, int, _Only], Awaitable[tuple[Any, int]]
    ],
    keyring: Keyring,
    sealed: SealedColumn,
    size: int,
    only: _Only,
) -> _Batch:
    return lambda session, after: batch(session, keyring, sealed, after, size, only)


async def _rehash_batch(
    session: AsyncSession,
    keyring: Keyring,
    sealed: SealedColumn,
    after: Any,
    size: int,
    only: _Only,
) -> tuple[Any, int]:
    """Provider-id hashes recomputed under the active key, from the ids still held sealed."""
    table, key = sealed.table, sealed.table.c[sealed.key]
    column, hashed = table.c[sealed.column], table.c.provider_id_hash
    rows = await _locked_batch(session, select(key, column, hashed), column, after, size, only)
    changes = []
    for row_id, sealed_id, current in rows:
        provider_id = open_text(
            keyring, Purpose.IDENTITY, sealed_id, context=sealed.context(row_id)
        )
        fresh = provider_id_hash(keyring, provider_id)
        if fresh != current:
            changes.append((row_id, fresh))
    await _update_rows(session, table, sealed.key, "provider_id_hash", changes)
    return (rows[-1][0] if len(rows) == size else None), len(changes)


async def _reseal_batch(
    session: AsyncSession,
    keyring: Keyring,
    sealed: SealedColumn,
    after: Any,
    size: int,
    only: _Only,
) -> tuple[Any, int]:
    """One batch after key ``after``: (the last key, or None at the end; rows re-sealed)."""
    table, key, column = sealed.table, sealed.table.c[sealed.key], sealed.table.c[sealed.column]
    rows = await _locked_batch(session, select(key, column), column, after, size, only)
    changes = []
    for row in rows:
        fresh = reseal(keyring, sealed.purpose, row[1], context=sealed.context(row[0]))
        if fresh is not None:
            changes.append((row[0], fresh))
    await _update_rows(session, table, sealed.key, sealed.column, changes)
    return (rows[-1][0] if len(rows) == size else None), len(changes)


async def _reindex_batch(
    session: AsyncSession, keyring: Keyring, after: uuid.UUID | None, size: int, only: _Only
) -> tuple[uuid.UUID | None, int]:
    """Blind indexes recomputed under the active index key, from the numbers still held."""
    table = _table(Reporter)
    sealed_column = table.c.identity_ciphertext
    statement = select(table.c.id, table.c.blind_index, sealed_column)
    rows = await _locked_batch(session, statement, sealed_column, after, size, only)
    changes = []
    for reporter_id, index, sealed in rows:
        phone = open_text(keyring, Purpose.IDENTITY, sealed, context=f"reporter:{reporter_id}")
        fresh = blind_index(keyring, normalise_phone(phone))
        if fresh != index:
            changes.append((reporter_id, fresh))
    await _update_rows(session, table, "id", "blind_index", changes)
    return (rows[-1][0] if len(rows) == size else None), len(changes)


async def _locked_batch(
    session: AsyncSession,
    statement: Select[Any],
    sealed_column: Any,
    after: Any,
    size: int,
    only: _Only,
) -> list[Any]:
    """The next ``size`` rows of ``statement`` whose ``sealed_column`` holds a value, by the
    primary key (its first column) after ``after``, narrowed by ``only`` (the catch-up). FOR
    UPDATE on PostgreSQL: a row changed meanwhile (a note edited) waits, never lost."""
    key = statement.selected_columns[0]
    statement = statement.where(sealed_column.is_not(None)).order_by(key).limit(size)
    if only is not None:
        statement = statement.where(only(sealed_column.table))
    if after is not None:
        statement = statement.where(key > after)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    return list((await session.execute(statement)).all())


async def _update_rows(
    session: AsyncSession, table: Table, key: str, column: str, changes: list[tuple[Any, Any]]
) -> None:
    """A batch's new values in one executemany (pipelined by asyncpg), not a round trip per
    row: at a million rows that is the difference between minutes and an hour."""
    if not changes:
        return
    await session.execute(
        update(table)
        .where(table.c[key] == bindparam("_key"))
        .values({column: bindparam("_value")}),
        [{"_key": row_key, "_value": value} for row_key, value in changes],
    )


def _retire(settings: Settings, path: Path, state: dict[str, Any]) -> bool:
    spool = settings.data_dir / "spool"
    if spool.is_dir() and any(spool.iterdir()):
        return False  # spooled records still need the old keys; the next rotation retires them
    keyring = load_keyring(path)
    for purpose in Purpose:
        if purpose in _KEPT_AFTER_ROTATION:
            continue
        for key in keyring.keys(purpose):
            if key.key_id != keyring.active(purpose).key_id:
                keyring = keyring.without(purpose, key.key_id)
    save_keyring(path, keyring)
    return True


def _holds(keyring: Keyring, key_ids: dict[str, str]) -> bool:
    return all(
        any(key.key_id == key_id for key in keyring.keys(Purpose(purpose)))
        for purpose, key_id in key_ids.items()
    )


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    return state


def _write_state(path: Path, state: dict[str, Any]) -> None:
    """Key ids only (never a secret); replaced atomically."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(state))
    os.replace(temporary, path)
