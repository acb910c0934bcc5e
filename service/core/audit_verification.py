"""Verifying the audit trail: every link of the keyed chain, and every checkpoint of the anchor.

The trail grows to millions of entries, so the walk streams it in keyset pages of plain rows
(an ORM object per entry would cost more than its HMAC), reports its progress, and can start
from a point an earlier run verified: ``VerifiedPoint``, the last entry found linked and its
hash. A resumed walk first checks that this entry still holds that hash; what follows is checked
as in a full walk, and everything before stays vouched for by the chain itself (rewriting an
earlier entry changes every later hash, which needs the key) and by the anchor's checkpoints.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import Keyring, Purpose
from service.core.audit import GENESIS_HASH, entry_digest, keyed_digest, read_checkpoints
from service.models import AuditEntry

_ENTRIES: Table = AuditEntry.__table__  # type: ignore[attr-defined]
_PAGE = 5000


@dataclass(frozen=True)
class VerifiedPoint:
    """How far a walk got: the last entry found linked, its hash, and whether the chain was
    keyed by then (after a keyed entry, a plain one is a forgery)."""

    sequence: int
    entry_hash: str
    keyed: bool


@dataclass(frozen=True)
class TrailReport:
    """The result of a verification: ``broken_at`` is None when the trail is intact."""

    total: int
    broken_at: int | None = None
    reason: str | None = None  # "link" (rewritten, removed or reordered) or "cut" (end removed)
    anchored: int = 0  # the highest sequence the anchor vouches for


Progress = Callable[[VerifiedPoint, int], None]  # the point reached, entries checked meanwhile


async def verify_trail(
    *,
    session: AsyncSession,
    keyring: Keyring | None,
    anchor: Path | None,
    resume_from: VerifiedPoint | None = None,
    on_progress: Progress | None = None,
) -> TrailReport:
    """Check every link (keyed, or plain before the first keyed entry) and every checkpoint,
    from the start or from ``resume_from``."""
    keys = tuple(key.secret for key in keyring.keys(Purpose.AUDIT)) if keyring else ()
    walk = _ChainWalk(keys, read_checkpoints(anchor) if anchor is not None else {}, resume_from)
    if resume_from is not None and not await _still_holds(session, resume_from):
        return TrailReport(resume_from.sequence, resume_from.sequence, "link", walk.anchored_head)
    while True:
        page = (
            await session.execute(
                select(_ENTRIES)
                .where(_ENTRIES.c.sequence >= walk.expected_sequence)
                .order_by(_ENTRIES.c.sequence)
                .limit(_PAGE)
            )
        ).all()
        broken = walk.walk(page)
        if broken is not None:
            return TrailReport(walk.total, broken, "link", walk.anchored_head)
        if on_progress is not None and page:
            on_progress(walk.point(), len(page))
        if len(page) < _PAGE:
            break
    if walk.anchored_head >= walk.expected_sequence:
        return TrailReport(walk.total, walk.expected_sequence, "cut", walk.anchored_head)
    return TrailReport(walk.total, None, None, walk.anchored_head)


async def verify_chain(
    *, session: AsyncSession, keyring: Keyring | None = None, anchor: Path | None = None
) -> int | None:
    """None when the chain is intact, else the sequence number of the first broken link."""
    return (await verify_trail(session=session, keyring=keyring, anchor=anchor)).broken_at


async def _still_holds(session: AsyncSession, point: VerifiedPoint) -> bool:
    stored = await session.scalar(
        select(_ENTRIES.c.entry_hash).where(_ENTRIES.c.sequence == point.sequence)
    )
    return stored is not None and hmac.compare_digest(stored, point.entry_hash)


class _ChainWalk:
    def __init__(
        self, keys: tuple[bytes, ...], checkpoints: dict[int, str], start: VerifiedPoint | None
    ) -> None:
        self._keys = keys
        self._checkpoints = checkpoints
        self.anchored_head = max(checkpoints, default=0)
        # Sequence numbers start at 1 without gaps: the entries before a resumed walk's start
        # are as many as its sequence number.
        self.total = start.sequence if start else 0
        self.expected_sequence = self.total + 1
        self._previous_hash = start.entry_hash if start else GENESIS_HASH
        self._keyed_seen = start.keyed if start else False

    def point(self) -> VerifiedPoint:
        return VerifiedPoint(self.total, self._previous_hash, self._keyed_seen)

    def walk(self, entries: Sequence[Any]) -> int | None:
        """None when every entry links; else the sequence number of the first broken link."""
        for entry in entries:
            if entry.sequence != self.expected_sequence:
                return self.expected_sequence
            if entry.previous_hash != self._previous_hash or not self._sealed(entry):
                return int(entry.sequence)
            anchored = self._checkpoints.get(entry.sequence)
            if anchored is not None and not hmac.compare_digest(anchored, entry.entry_hash):
                return int(entry.sequence)
            self.expected_sequence, self._previous_hash = entry.sequence + 1, entry.entry_hash
            self.total += 1
        return None

    def _sealed(self, entry: Any) -> bool:
        for secret in self._keys:
            if hmac.compare_digest(keyed_digest(secret, entry), entry.entry_hash):
                self._keyed_seen = True
                return True
        return not self._keyed_seen and hmac.compare_digest(entry_digest(entry), entry.entry_hash)
