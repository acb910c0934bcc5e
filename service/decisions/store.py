"""Reading a tip's text for triage, and storing what triage decided."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol, TypeVar

from sqlalchemy import Text, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crypto import Keyring, Purpose, open_text, seal_text
from service.core.db import among
from service.models import (
    Antenna,
    Direction,
    DuplicateKind,
    DuplicateLink,
    Message,
    Tip,
    TipStatus,
    TriageDecision,
)
from triage import AntennaStatus, Decision, RuleHit
from triage.duplicates import DuplicateCandidate, find_duplicates

DUPLICATE_WINDOW = timedelta(days=30)
# A busy quartier can have hundreds of open tips in a month: only the most recent are compared,
# so triage stays fast as the month fills up (each candidate costs a read and a decryption).
CANDIDATE_ROWS = 200
_MAX_CANDIDATES = 25


class SealedText(Protocol):
    """A message as stored: its id is the context its text was sealed under."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def body_ciphertext(self) -> bytes: ...


_Sealed = TypeVar("_Sealed", bound=SealedText)


@dataclass(frozen=True)
class SealedMessage:
    """An inbound message read as a plain row (the batch path builds no ORM objects)."""

    id: uuid.UUID
    tip_id: uuid.UUID
    created_at: datetime
    body_ciphertext: bytes


class DecidedTip(NamedTuple):
    """One decision of an open tip, as the duplicate search compares it. A tuple: a batch reads
    thousands of them, and a frozen dataclass costs a call per field to build."""

    decision_id: uuid.UUID
    tip_id: uuid.UUID
    reporter_id: uuid.UUID | None
    received_at: datetime
    decided_at: datetime
    place: str | None
    substances: tuple[str, ...]


# The columns a DecidedTip is read from, in its fields' order.
DECIDED_COLUMNS = (
    col(TriageDecision.id),
    col(TriageDecision.tip_id),
    col(Tip.reporter_id),
    col(Tip.received_at),
    col(TriageDecision.created_at),
    col(TriageDecision.place),
    # As text, parsed once per distinct list: the duplicate search reads thousands of rows a
    # batch, and the driver would decode each one's JSON.
    cast(col(TriageDecision.substances), Text).label("substances"),
)


def decided_tip(row: Sequence[Any]) -> DecidedTip:
    decision_id, tip_id, reporter_id, received_at, decided_at, place, substances = row
    return DecidedTip(
        decision_id, tip_id, reporter_id, received_at, decided_at, place, _substances(substances)
    )


@functools.lru_cache(maxsize=4096)
def _substances(stored: str) -> tuple[str, ...]:
    return tuple(json.loads(stored))


async def inbound_messages(*, session: AsyncSession, tip_id: uuid.UUID) -> Sequence[Message]:
    found = await session.scalars(
        select(Message)
        .where(col(Message.tip_id) == tip_id, col(Message.direction) == Direction.INBOUND)
        .order_by(col(Message.created_at))
    )
    return found.all()


async def inbound_messages_of(
    *, session: AsyncSession, tip_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[SealedMessage]]:
    """Several tips' inbound messages in one query, each tip's in the order they came."""
    ids = list(tip_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(
            col(Message.id),
            col(Message.tip_id),
            col(Message.created_at),
            col(Message.body_ciphertext),
        )
        .where(among(session, col(Message.tip_id), ids))
        .where(col(Message.direction) == Direction.INBOUND)
        .order_by(col(Message.created_at))
    )
    by_tip: dict[uuid.UUID, list[SealedMessage]] = {}
    for row in rows:
        by_tip.setdefault(row[1], []).append(SealedMessage(*row))
    return by_tip


def input_digest(messages: Sequence[_Sealed]) -> str:
    return hashlib.sha256("|".join(str(message.id) for message in messages).encode()).hexdigest()


def tip_text(keyring: Keyring, messages: Sequence[SealedText]) -> str:
    """The reporter's messages in order, decrypted in memory only."""
    return "\n".join(
        open_text(keyring, Purpose.CONTENT, m.body_ciphertext, context=f"message:{m.id}")
        for m in messages
    )


def place_hint(keyring: Keyring, tip: Tip) -> str | None:
    if tip.place_hint_ciphertext is None:
        return None
    return open_place_hint(keyring, tip.id, tip.place_hint_ciphertext)


def open_place_hint(keyring: Keyring, tip_id: uuid.UUID, blob: bytes) -> str:
    """The web form's place field, decrypted in memory only."""
    return open_text(keyring, Purpose.CONTENT, blob, context=f"place:{tip_id}")


async def antenna_statuses(*, session: AsyncSession) -> dict[str, AntennaStatus]:
    antennas = (await session.scalars(select(Antenna))).all()
    return {a.code: AntennaStatus(operational=a.operational, fallback=a.fallback) for a in antennas}


async def existing_decision(
    *, session: AsyncSession, tip_id: uuid.UUID, rules_version: str, digest: str
) -> TriageDecision | None:
    found = await session.scalars(
        select(TriageDecision).where(
            col(TriageDecision.tip_id) == tip_id,
            col(TriageDecision.rules_version) == rules_version,
            col(TriageDecision.input_digest) == digest,
        )
    )
    return found.first()


async def latest_decision(*, session: AsyncSession, tip_id: uuid.UUID) -> TriageDecision | None:
    found = await session.scalars(
        select(TriageDecision)
        .where(col(TriageDecision.tip_id) == tip_id)
        .order_by(col(TriageDecision.created_at).desc())
        .limit(1)
    )
    return found.first()


def add_decision(
    *, session: AsyncSession, keyring: Keyring, tip: Tip, decision: Decision, digest: str
) -> TriageDecision:
    decision_id = uuid.uuid4()
    stored = TriageDecision(
        id=decision_id,
        tip_id=tip.id,
        rules_version=decision.rules_version,
        input_digest=digest,
        category=decision.category,
        substances=list(decision.substances),
        priority=decision.priority,
        flags=list(decision.flags),
        antenna=decision.antenna,
        place=decision.place,
        rules=list(decision.rules),
        hits_ciphertext=sealed_hits(keyring, decision, decision_id),
        confident=decision.confident,
    )
    session.add(stored)
    return stored


def sealed_hits(keyring: Keyring, decision: Decision, decision_id: uuid.UUID) -> bytes:
    """The rules that fired quote the reporter's words: sealed, bound to the decision's row."""
    hits = json.dumps(
        [{"rule": hit.rule, "words": list(hit.words)} for hit in decision.hits], ensure_ascii=False
    )
    return seal_text(keyring, Purpose.CONTENT, hits, context=f"decision:{decision_id}")


def decision_values(
    *,
    keyring: Keyring,
    tip_id: uuid.UUID,
    decision: Decision,
    digest: str,
    decided_at: datetime,
) -> dict[str, Any]:
    """A triage_decisions row as ``add_decision`` stores it, for a set-based insert."""
    decision_id = uuid.uuid4()
    return {
        "id": decision_id,
        "tip_id": tip_id,
        "rules_version": decision.rules_version,
        "input_digest": digest,
        "category": decision.category,
        "substances": list(decision.substances),
        "priority": decision.priority,
        "flags": list(decision.flags),
        "antenna": decision.antenna,
        "place": decision.place,
        "rules": list(decision.rules),
        "hits_ciphertext": sealed_hits(keyring, decision, decision_id),
        "confident": decision.confident,
        "created_at": decided_at,
    }


def decision_hits(keyring: Keyring, stored: TriageDecision) -> list[RuleHit]:
    """The rules that fired with the reporter's words, for the officer's screen."""
    text = open_text(
        keyring, Purpose.CONTENT, stored.hits_ciphertext, context=f"decision:{stored.id}"
    )
    return [RuleHit(rule=hit["rule"], words=tuple(hit["words"])) for hit in json.loads(text)]


async def link_duplicates(
    *,
    session: AsyncSession,
    keyring: Keyring,
    tip: Tip,
    text: str,
    decision: Decision,
    now: datetime,
) -> list[DuplicateLink]:
    """Link the tip to similar open tips of the last 30 days; officers decide what to merge."""
    candidates = await _recent_open_candidates(
        session=session, keyring=keyring, tip=tip, decision=decision, now=now
    )
    new = DuplicateCandidate(
        tip_id=str(tip.id),
        text=text,
        source=str(tip.reporter_id) if tip.reporter_id else None,
        substances=decision.substances,
        place=decision.place,
        received_at=tip.received_at,
    )
    known = set(
        (
            await session.scalars(
                select(col(DuplicateLink.other_tip_id)).where(col(DuplicateLink.tip_id) == tip.id)
            )
        ).all()
    )
    links = [
        DuplicateLink(tip_id=tip.id, other_tip_id=uuid.UUID(other), kind=DuplicateKind(kind))
        for other, kind in find_duplicates(new, candidates)
        if uuid.UUID(other) not in known
    ]
    session.add_all(links)
    return links


async def _recent_open_candidates(
    *, session: AsyncSession, keyring: Keyring, tip: Tip, decision: Decision, now: datetime
) -> list[DuplicateCandidate]:
    """Only tips that could match (same source, or same place and substances) are decrypted."""
    could_match = []
    if tip.reporter_id is not None:
        could_match.append(col(Tip.reporter_id) == tip.reporter_id)
    if decision.place is not None:
        could_match.append(col(TriageDecision.place) == decision.place)
    if not could_match:
        return []
    rows = await session.execute(
        select(*DECIDED_COLUMNS)
        .join(Tip, col(TriageDecision.tip_id) == col(Tip.id))
        .where(col(Tip.id) != tip.id, col(Tip.status) != TipStatus.CLOSED)
        .where(col(Tip.received_at) >= now - DUPLICATE_WINDOW)
        .where(or_(*could_match))
        .order_by(col(TriageDecision.created_at).desc())
        .limit(CANDIDATE_ROWS)
    )
    matching = pick_candidates(
        [decided_tip(row) for row in rows],
        tip_id=tip.id,
        reporter_id=tip.reporter_id,
        decision=decision,
    )
    texts = await texts_of(session=session, keyring=keyring, tip_ids=[m.tip_id for m in matching])
    return [duplicate_candidate(m, texts.get(m.tip_id, "")) for m in matching]


def pick_candidates(
    newest_first: Iterable[DecidedTip],
    *,
    tip_id: uuid.UUID,
    reporter_id: uuid.UUID | None,
    decision: Decision,
) -> list[DecidedTip]:
    """The tips to compare with, from the 200 most recent decisions of open tips of the window
    that share the tip's source or place: each tip's newest such decision, the first 25 that
    match. Rows are read only until those 25 are found."""
    substances = tuple(decision.substances)
    seen: set[uuid.UUID] = set()
    found: list[DecidedTip] = []
    others = (row for row in newest_first if row.tip_id != tip_id)
    for row in itertools.islice(others, CANDIDATE_ROWS):
        if row.tip_id in seen:
            continue  # an older decision of a tip already met: only its newest counts
        seen.add(row.tip_id)
        if (reporter_id is not None and row.reporter_id == reporter_id) or (
            row.place == decision.place and row.substances == substances
        ):
            found.append(row)
            if len(found) == _MAX_CANDIDATES:
                break
    return found


def duplicate_candidate(other: DecidedTip, text: str) -> DuplicateCandidate:
    return DuplicateCandidate(
        tip_id=str(other.tip_id),
        text=text,
        source=str(other.reporter_id) if other.reporter_id else None,
        substances=other.substances,
        place=other.place,
        received_at=other.received_at,
    )


async def texts_of(
    *, session: AsyncSession, keyring: Keyring, tip_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Several tips' texts from one query, decrypted in memory only."""
    messages = await inbound_messages_of(session=session, tip_ids=tip_ids)
    return {tip_id: tip_text(keyring, found) for tip_id, found in messages.items()}
