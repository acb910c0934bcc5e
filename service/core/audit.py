"""The audit trail: who did what, when — append-only and hash-chained.

Each entry's hash covers the previous entry's hash and every field of its own, so editing,
removing or reordering a stored entry breaks the chain from that point (``verify_chain``).
Appends are serialised: an advisory lock on PostgreSQL, the primary key on ``sequence``
everywhere (a concurrent append that read the same tail fails instead of forking the chain).

Details are short labels and identifiers: never a phone number, never message text.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.models import AuditEntry, StaffUser
from service.models.types import utcnow

GENESIS_HASH = "0" * 64
MAX_DETAIL_LENGTH = 200
# Arbitrary constant naming the audit chain's advisory lock on PostgreSQL.
_CHAIN_LOCK_ID = 0x7417_A0D1
# Eight or more digits separated at most by spaces or dots: a phone number. Tip references use
# dashes between groups of four, so they pass.
_PHONE_LIKE = re.compile(r"\+?\d(?:[ .]?\d){7,}")
_VERIFY_BATCH = 1000
PER_PAGE = 50


class AuditDetailsRefused(ValueError):
    """A programming error: audit details must stay short and carry no personal data."""


async def record_audit(
    *,
    session: AsyncSession,
    actor: StaffUser | None,
    action: str,
    target: str | None = None,
    details: Mapping[str, str] | None = None,
) -> AuditEntry:
    """Append an entry to the chain (flushed, never committed: the caller's transaction owns it)."""
    details_json = _canonical_details(details or {})
    await _lock_chain(session)
    tail = (
        await session.scalars(select(AuditEntry).order_by(col(AuditEntry.sequence).desc()).limit(1))
    ).first()
    entry = AuditEntry(
        sequence=tail.sequence + 1 if tail else 1,
        recorded_at=utcnow(),
        actor_id=actor.id if actor else None,
        actor_username=actor.username if actor else None,
        actor_role=str(actor.role) if actor else None,
        action=action,
        target=target,
        details_json=details_json,
        previous_hash=tail.entry_hash if tail else GENESIS_HASH,
        entry_hash="",
    )
    entry.entry_hash = entry_digest(entry)
    session.add(entry)
    await session.flush()
    return entry


async def verify_chain(*, session: AsyncSession) -> int | None:
    """None when the chain is intact, else the sequence number of the first broken link."""
    expected_sequence, previous_hash = 1, GENESIS_HASH
    while True:
        batch = (
            await session.scalars(
                select(AuditEntry)
                .where(col(AuditEntry.sequence) >= expected_sequence)
                .order_by(col(AuditEntry.sequence))
                .limit(_VERIFY_BATCH)
            )
        ).all()
        for entry in batch:
            if not _links(entry, expected_sequence, previous_hash):
                return expected_sequence if entry.sequence != expected_sequence else entry.sequence
            expected_sequence, previous_hash = entry.sequence + 1, entry.entry_hash
        if len(batch) < _VERIFY_BATCH:
            return None


async def count_entries(*, session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


async def entries_page(*, session: AsyncSession, page: int, per_page: int) -> list[AuditEntry]:
    """Newest first."""
    statement = (
        select(AuditEntry)
        .order_by(col(AuditEntry.sequence).desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list((await session.scalars(statement)).all())


def details_of(entry: AuditEntry) -> dict[str, str]:
    loaded: dict[str, str] = json.loads(entry.details_json)
    return loaded


def entry_digest(entry: AuditEntry) -> str:
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
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _links(entry: AuditEntry, expected_sequence: int, previous_hash: str) -> bool:
    return (
        entry.sequence == expected_sequence
        and entry.previous_hash == previous_hash
        and entry.entry_hash == entry_digest(entry)
    )


def _canonical_details(details: Mapping[str, str]) -> str:
    for key, value in details.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise AuditDetailsRefused("audit details are str -> str")
        if len(value) > MAX_DETAIL_LENGTH or _PHONE_LIKE.search(value):
            raise AuditDetailsRefused(f"audit detail {key!r} is too long or looks like a number")
    return json.dumps(dict(details), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


async def _lock_chain(session: AsyncSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _CHAIN_LOCK_ID})


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
    """Page ``page`` of the trail, newest first."""
    total = await count_entries(session=session)
    pages = max(1, -(-total // PER_PAGE))
    entries = await entries_page(session=session, page=page, per_page=PER_PAGE)
    return AuditPage(
        entries=[public_entry(entry) for entry in entries], page=page, pages=pages, total=total
    )
