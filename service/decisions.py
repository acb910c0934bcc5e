"""Reading a tip's text for triage, and storing what triage decided."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crypto import Keyring, Purpose, open_text, seal_text
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
_CANDIDATE_ROWS = 200
_MAX_CANDIDATES = 25


async def inbound_messages(*, session: AsyncSession, tip_id: uuid.UUID) -> Sequence[Message]:
    found = await session.scalars(
        select(Message)
        .where(col(Message.tip_id) == tip_id, col(Message.direction) == Direction.INBOUND)
        .order_by(col(Message.created_at))
    )
    return found.all()


def input_digest(messages: Sequence[Message]) -> str:
    return hashlib.sha256("|".join(str(message.id) for message in messages).encode()).hexdigest()


def tip_text(keyring: Keyring, messages: Sequence[Message]) -> str:
    """The reporter's messages in order, decrypted in memory only."""
    return "\n".join(
        open_text(keyring, Purpose.CONTENT, m.body_ciphertext, context=f"message:{m.id}")
        for m in messages
    )


def place_hint(keyring: Keyring, tip: Tip) -> str | None:
    if tip.place_hint_ciphertext is None:
        return None
    return open_text(keyring, Purpose.CONTENT, tip.place_hint_ciphertext, context=f"place:{tip.id}")


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
    hits = json.dumps([asdict(hit) for hit in decision.hits], ensure_ascii=False)
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
        hits_ciphertext=seal_text(
            keyring, Purpose.CONTENT, hits, context=f"decision:{decision_id}"
        ),
        confident=decision.confident,
    )
    session.add(stored)
    return stored


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
    rows = (
        await session.execute(
            select(Tip, TriageDecision)
            .join(TriageDecision, col(TriageDecision.tip_id) == Tip.id)
            .where(col(Tip.id) != tip.id, col(Tip.status) != TipStatus.CLOSED)
            .where(col(Tip.received_at) >= now - DUPLICATE_WINDOW)
            .where(or_(*could_match))
            .order_by(col(TriageDecision.created_at).desc())
            .limit(_CANDIDATE_ROWS)
        )
    ).all()
    latest: dict[uuid.UUID, tuple[Tip, TriageDecision]] = {}
    for other, other_decision in rows:  # newest decision first: keep it per tip
        latest.setdefault(other.id, (other, other_decision))
    matching = [
        (other, other_decision)
        for other, other_decision in latest.values()
        if (tip.reporter_id is not None and other.reporter_id == tip.reporter_id)
        or (
            other_decision.place == decision.place
            and tuple(other_decision.substances) == tuple(decision.substances)
        )
    ][:_MAX_CANDIDATES]
    texts = await _texts_of(session=session, keyring=keyring, tip_ids=[t.id for t, _ in matching])
    candidates = [
        DuplicateCandidate(
            tip_id=str(other.id),
            text=texts.get(other.id, ""),
            source=str(other.reporter_id) if other.reporter_id else None,
            substances=tuple(other_decision.substances),
            place=other_decision.place,
            received_at=other.received_at,
        )
        for other, other_decision in matching
    ]
    return candidates


async def _texts_of(
    *, session: AsyncSession, keyring: Keyring, tip_ids: list[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Several tips' texts from one query, decrypted in memory only."""
    if not tip_ids:
        return {}
    messages = (
        await session.scalars(
            select(Message)
            .where(col(Message.tip_id).in_(tip_ids), col(Message.direction) == Direction.INBOUND)
            .order_by(col(Message.created_at))
        )
    ).all()
    by_tip: dict[uuid.UUID, list[Message]] = {}
    for message in messages:
        by_tip.setdefault(message.tip_id, []).append(message)
    return {tip_id: tip_text(keyring, found) for tip_id, found in by_tip.items()}
