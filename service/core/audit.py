"""The audit trail: who did what, when — append-only, chained under a key, anchored outside.

Each entry's hash is an HMAC (the keyring's audit key) over the previous entry's hash and every
field of its own, so editing, removing or reordering a stored entry breaks the chain from that
point, and someone who can write the database but not read the keyring cannot re-chain it. The
head is checkpointed outside the database after each commit: a line appended to the anchor file
beside the spool and a log line, each with its sequence number and hash, so that entries cut from
the end (which leave a valid, shorter chain) are found too (``verify_trail``).

Entries written before the chain was keyed carry a plain SHA-256; they verify as such only before
the first keyed entry, so nothing after the switch can be forged without the key.

Appends are serialised: an advisory lock on PostgreSQL, the write lock on SQLite, and the primary
key on ``sequence`` everywhere (an append that read the same tail fails instead of forking the
chain).

Details are short labels and identifiers: never a phone number, never message text.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from pydantic import BaseModel
from sqlalchemy import Executable, event, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col

from crypto import Keyring, Purpose
from service.core.db import insert_rows, on_postgresql, run_built
from service.models import AuditEntry, StaffUser
from service.models.types import utcnow

log = structlog.get_logger(__name__)

GENESIS_HASH = "0" * 64
MAX_DETAIL_LENGTH = 200
# Arbitrary constant naming the audit chain's advisory lock on PostgreSQL.
_CHAIN_LOCK_ID = 0x7417_A0D1
# Eight or more digits separated at most by spaces or dots: a phone number. Tip references use
# dashes between groups of four, so they pass.
_PHONE_LIKE = re.compile(r"\+?\d(?:[ .]?\d){7,}")
PER_PAGE = 50
# Where a session finds the audit key and the anchor (see ``audit_session_info``).
_SEAL_INFO = "tipline.audit_seal"
_PENDING_INFO = "tipline.audit_pending"
# The chain's table, appended to as rows (``record_audits``), and its lock.
_ENTRIES = SQLModel.metadata.tables["audit_entries"]
_ENTRY_COLUMNS = tuple(column.name for column in _ENTRIES.columns)
_LOCK_STATEMENT = text("SELECT pg_advisory_xact_lock(:lock)")
_SQLITE_LOCK_STATEMENT = text("UPDATE audit_entries SET sequence = sequence WHERE 0")


@dataclass(frozen=True)
class AuditSeal:
    """How one process keys and anchors the chain: its keyring (a ``LiveKeyring`` in a running
    process, so a reloaded keyring is used at once) and the anchor file, if any."""

    keyring: Keyring
    anchor: Path | None


def audit_session_info(seal: AuditSeal) -> dict[str, Any]:
    """The ``info`` of a session factory whose sessions append keyed, anchored entries."""
    return {_SEAL_INFO: seal}


def anchor_path(data_dir: Path) -> Path:
    """Beside the spool, in the data directory: outside the database a dump or a writer holds."""
    return data_dir / "audit-anchor.jsonl"


def sealed_sessions_info(keyring: Keyring, data_dir: Path) -> dict[str, Any]:
    """``audit_session_info`` for a process of the service: its keyring, its data directory."""
    return audit_session_info(AuditSeal(keyring=keyring, anchor=anchor_path(data_dir)))


class AuditDetailsRefused(ValueError):
    """A programming error: audit details must stay short and carry no personal data."""


@dataclass(frozen=True)
class AuditRecord:
    """One entry to append: who (None for the service itself), what, on what, with what."""

    actor: StaffUser | None
    action: str
    target: str | None = None
    details: Mapping[str, str] | None = None


@dataclass(slots=True)
class ChainedEntry:
    """An entry as appended, before it goes in as a row: an ORM object per entry cost about
    70 µs to build, on the hot path of a triage batch (an entry per tip)."""

    sequence: int
    recorded_at: datetime
    actor_id: uuid.UUID | None
    actor_username: str | None
    actor_role: str | None
    action: str
    target: str | None
    details_json: str
    previous_hash: str
    entry_hash: str = ""


# What an entry's hash covers: a stored entry or one being appended.
ChainFields = AuditEntry | ChainedEntry


async def record_audit(
    *,
    session: AsyncSession,
    actor: StaffUser | None,
    action: str,
    target: str | None = None,
    details: Mapping[str, str] | None = None,
) -> ChainedEntry:
    """Append an entry to the chain (flushed, never committed: the caller's transaction owns it)."""
    record = AuditRecord(actor=actor, action=action, target=target, details=details)
    return (await record_audits(session=session, records=[record]))[0]


async def record_audits(
    *, session: AsyncSession, records: Sequence[AuditRecord]
) -> list[ChainedEntry]:
    """Append several entries at once: one lock, one read of the tail, one flush.

    The chain's lock is held from here to the caller's commit, so a job that audits many rows
    calls this once, last, instead of once per row: other writers then wait for one flush, not
    for the whole job (a sweep of thousands of rows held them past their statement timeout)."""
    if not records:
        return []
    details = [_canonical_details(record.details or {}) for record in records]
    await _lock_chain(session)
    tail = (await run_built(session, _tail_statement)).first()
    seal: AuditSeal | None = session.info.get(_SEAL_INFO)
    sequence, previous = (tail.sequence, tail.entry_hash) if tail else (0, GENESIS_HASH)
    entries = []
    for record, details_json in zip(records, details, strict=True):
        sequence += 1
        entry = _chained_entry(record, details_json, sequence=sequence, previous_hash=previous)
        entry.entry_hash = _digest(seal, entry)
        previous = entry.entry_hash
        entries.append(entry)
    # Rows, not ORM objects to flush: a triage batch appends its entries on its hot path.
    await insert_rows(session, _ENTRIES, [_row_of(entry) for entry in entries])
    if seal is not None:
        _checkpoint_after_commit(session, seal, entries[-1])
    return entries


@functools.cache
def _tail_statement(_postgresql: bool) -> Executable:
    return (
        select(col(AuditEntry.sequence), col(AuditEntry.entry_hash))
        .order_by(col(AuditEntry.sequence).desc())
        .limit(1)
    )


def _row_of(entry: ChainedEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in _ENTRY_COLUMNS}


def _chained_entry(
    record: AuditRecord, details_json: str, *, sequence: int, previous_hash: str
) -> ChainedEntry:
    actor = record.actor
    return ChainedEntry(
        sequence=sequence,
        recorded_at=utcnow(),
        actor_id=actor.id if actor else None,
        actor_username=actor.username if actor else None,
        actor_role=str(actor.role) if actor else None,
        action=record.action,
        target=record.target,
        details_json=details_json,
        previous_hash=previous_hash,
    )


def _digest(seal: AuditSeal | None, entry: ChainedEntry) -> str:
    if seal is None:
        # Only tests and tools that build a bare session get here; every process's session
        # factory carries the seal, and a plain entry after a keyed one fails verification.
        return entry_digest(entry)
    return keyed_digest(seal.keyring.active(Purpose.AUDIT).secret, entry)


def _checkpoint_after_commit(session: AsyncSession, seal: AuditSeal, entry: ChainedEntry) -> None:
    """The head is anchored once committed: an anchor for a rolled-back entry would be a lie."""
    sync_session = session.sync_session
    if _PENDING_INFO not in sync_session.info:
        event.listen(sync_session, "after_commit", _write_checkpoint)
        event.listen(sync_session, "after_rollback", _forget_checkpoint)
    sync_session.info[_PENDING_INFO] = (seal, entry.sequence, entry.entry_hash)


def _forget_checkpoint(sync_session: Session) -> None:
    sync_session.info[_PENDING_INFO] = None


def _write_checkpoint(sync_session: Session) -> None:
    pending = sync_session.info.get(_PENDING_INFO)
    if pending is None:
        return
    sync_session.info[_PENDING_INFO] = None
    seal, sequence, entry_hash = pending
    log.info("audit_checkpoint", sequence=sequence, entry_hash=entry_hash)
    if seal.anchor is not None:
        append_checkpoint(seal.anchor, sequence, entry_hash)


def append_checkpoint(path: Path, sequence: int, entry_hash: str) -> None:
    """One short line, appended (O_APPEND: lines from several processes never interleave)."""
    line = json.dumps({"sequence": sequence, "hash": entry_hash, "at": utcnow().isoformat()})
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_checkpoints(path: Path) -> dict[int, str]:
    """Sequence → hash of every checkpoint in the anchor file (none when there is no file)."""
    try:
        lines = path.read_text(encoding="ascii", errors="replace").splitlines()
    except FileNotFoundError:
        return {}
    checkpoints: dict[int, str] = {}
    for line in lines:
        try:
            record = json.loads(line)
            checkpoints[int(record["sequence"])] = str(record["hash"])
        except (ValueError, KeyError, TypeError):
            continue  # a line torn by a crash mid-write anchors nothing
    return checkpoints


async def count_entries(*, session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def sequence_bounds(*, session: AsyncSession) -> tuple[int, int] | None:
    """The first and last sequence numbers, from the primary key's two ends; None when empty."""
    first, last = (
        await session.execute(select(func.min(AuditEntry.sequence), func.max(AuditEntry.sequence)))
    ).one()
    return None if last is None else (int(first), int(last))


async def entries_page(*, session: AsyncSession, page: int, per_page: int) -> list[AuditEntry]:
    """Newest first. The chain numbers its entries without gaps, so page ``page`` starts at a
    sequence number known in advance: a seek on the primary key, not an ``OFFSET`` that reads
    every newer entry first."""
    bounds = await sequence_bounds(session=session)
    if bounds is None:
        return []
    statement = (
        select(AuditEntry)
        .where(col(AuditEntry.sequence) <= bounds[1] - (page - 1) * per_page)
        .order_by(col(AuditEntry.sequence).desc())
        .limit(per_page)
    )
    return list((await session.scalars(statement)).all())


def details_of(entry: AuditEntry) -> dict[str, str]:
    loaded: dict[str, str] = json.loads(entry.details_json)
    return loaded


def entry_digest(entry: ChainFields) -> str:
    """The plain SHA-256 of entries written before the chain was keyed."""
    return hashlib.sha256(_canonical_entry(entry)).hexdigest()


def keyed_digest(secret: bytes, entry: ChainFields) -> str:
    return hmac.new(secret, _canonical_entry(entry), hashlib.sha256).hexdigest()


def _canonical_entry(entry: ChainFields) -> bytes:
    fields = {
        "sequence": entry.sequence,
        "previous_hash": entry.previous_hash,
        "recorded_at": entry.recorded_at.astimezone(UTC).isoformat(),
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "actor_username": entry.actor_username,
        "actor_role": entry.actor_role,
        "action": entry.action,
        "target": entry.target,
        "details": entry.details_json,
    }
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return canonical.encode("utf-8")


def _canonical_details(details: Mapping[str, str]) -> str:
    for key, value in details.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise AuditDetailsRefused("audit details are str -> str")
        if len(value) > MAX_DETAIL_LENGTH or _PHONE_LIKE.search(value):
            raise AuditDetailsRefused(f"audit detail {key!r} is too long or looks like a number")
    return json.dumps(dict(details), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


async def _lock_chain(session: AsyncSession) -> None:
    connection = await session.connection()
    if on_postgresql(session):
        await connection.execute(_LOCK_STATEMENT, {"lock": _CHAIN_LOCK_ID})
    else:
        # SQLite's write lock, taken by a write that changes nothing, before the tail is read:
        # otherwise two appends read the same tail, and the second fails on its sequence.
        await connection.execute(_SQLITE_LOCK_STATEMENT)


class AuditEntryPublic(BaseModel):
    """An audit entry as the auditor reads it, on the page and in the API."""

    sequence: int
    recorded_at: datetime
    actor_username: str | None
    actor_role: str | None
    action: str
    target: str | None
    details: dict[str, str]


class AuditPage(BaseModel):
    entries: list[AuditEntryPublic]
    page: int
    pages: int
    total: int


def public_entry(entry: AuditEntry) -> AuditEntryPublic:
    return AuditEntryPublic(
        sequence=entry.sequence,
        recorded_at=entry.recorded_at,
        actor_username=entry.actor_username,
        actor_role=entry.actor_role,
        action=entry.action,
        target=entry.target,
        details=details_of(entry),
    )


async def audit_page(*, session: AsyncSession, page: int) -> AuditPage:
    """Page ``page`` of the trail, newest first. Counted from the sequence numbers, not by a
    ``count(*)`` reading millions of entries at each view."""
    bounds = await sequence_bounds(session=session)
    total = 0 if bounds is None else bounds[1] - bounds[0] + 1
    pages = max(1, -(-total // PER_PAGE))
    entries = await entries_page(session=session, page=page, per_page=PER_PAGE)
    return AuditPage(
        entries=[public_entry(entry) for entry in entries], page=page, pages=pages, total=total
    )
