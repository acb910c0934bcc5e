"""Years of history for ``bench.scale``, written in bulk through the project's own code.

Tip ``n`` of a database of N: the first 3,000 are the last 30 days (some waiting for an officer,
some cases waiting for their chief), the others go back five minutes each. Every row is what the
application writes and reads back: references and pseudonyms from ``crypto``, numbers sealed
under the keyring's identity key, decisions with the rules' values, closing and erasure times as
the console and retention set them, and an audit trail keyed and chained as ``record_audit``
chains it (``keyed_digest``). Rows go in with ``insert_rows`` (``unnest`` arrays: PostgreSQL's
bulk path), 5,000 at a time.

The steady state of a live service: content closed more than a year ago is already erased and
numbers 90 days after their last tip closed are destroyed, except the last day's worth, which is
what an hourly retention run finds to do (24 runs' worth).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table

from crypto import (
    Keyring,
    Purpose,
    blind_index,
    new_pseudonym,
    new_reference,
    seal,
    seal_text,
)
from service.core.audit import GENESIS_HASH, keyed_digest
from service.core.db import SessionMaker, insert_rows, transaction
from service.models import (
    AuditEntry,
    Case,
    CaseStatus,
    Channel,
    Direction,
    Message,
    Reporter,
    Tip,
    TipStatus,
    TriageDecision,
)

RECENT_TIPS = 3_000  # the last 30 days, the same at every size
CHUNK = 5_000
ANTENNAS = ("BKO-RD", "BKO-RG", "SEG", "SIK", "KAY", "MOP")
_CONTENT_DAYS, _IDENTITY_DAYS = 365, 90
_SPACING = timedelta(minutes=5)

_TABLES = {
    name: cast(Table, getattr(model, "__table__"))  # noqa: B009 - SQLModel hides it
    for name, model in (
        ("tips", Tip),
        ("decisions", TriageDecision),
        ("cases", Case),
        ("reporters", Reporter),
        ("messages", Message),
        ("audit", AuditEntry),
    )
}


@dataclass
class History:
    """What has been written so far, so a larger size adds to it."""

    now: datetime
    keyring: Keyring
    prolific: uuid.UUID  # one source whose tips run through the whole history
    prolific_tip: uuid.UUID | None = None
    stored: int = 0
    audit_tail: tuple[int, str] = (0, GENESIS_HASH)
    references: set[str] = field(default_factory=set)
    pseudonyms: set[str] = field(default_factory=set)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


async def fill(sessions: SessionMaker, history: History, size: int) -> None:
    """Tips ``history.stored`` to ``size``, in chunks of one transaction each."""
    for first in range(history.stored, size, CHUNK):
        history.rows = {name: [] for name in _TABLES}
        for number in range(first, min(size, first + CHUNK)):
            _add_tip(history, number)
        async with transaction(sessions) as session:
            for name in ("reporters", "tips", "decisions", "cases", "messages", "audit"):
                await insert_rows(session, _TABLES[name], history.rows[name])
    history.stored = size


def _add_tip(history: History, number: int) -> None:
    received = _received_at(history.now, number)
    tip_id = uuid.uuid4()
    status, routed = _status(number)
    closed_at = received + timedelta(days=1) if status == TipStatus.CLOSED else None
    reporter_id = _reporter(history, number, received, closed_at)
    reference = _fresh_reference(history)
    history.rows["tips"].append(
        {
            "id": tip_id,
            "reference": reference,
            "channel": (Channel.SMS, Channel.WHATSAPP, Channel.WEB, Channel.HOTLINE)[number % 4],
            "status": status,
            "reporter_id": reporter_id,
            "receipt_code_hash": None,
            "place_hint_ciphertext": None,
            "received_at": received,
            "last_message_at": received,
            "closed_at": closed_at,
            "content_erased_at": _erased_at(history.now, closed_at),
        }
    )
    if reporter_id == history.prolific and history.prolific_tip is None:
        history.prolific_tip = tip_id
    history.rows["decisions"].append(_decision(history.keyring, tip_id, number, received))
    if number < RECENT_TIPS:
        history.rows["messages"].append(_message(history.keyring, tip_id, received))
    case_id = _case(history, tip_id, number, received, status) if routed else None
    _audit(history, reference, case_id, received)


def _received_at(now: datetime, number: int) -> datetime:
    if number < RECENT_TIPS:
        return now - timedelta(days=30) * (number / RECENT_TIPS)
    return now - timedelta(days=30) - _SPACING * (number - RECENT_TIPS)


def _status(number: int) -> tuple[TipStatus, bool]:
    """(status, whether a case was opened): recent tips are partly still being worked."""
    kind = number % 10
    routed = kind < 4
    if number < RECENT_TIPS and kind == 9:
        return TipStatus.AWAITING_OFFICER, False
    if number < RECENT_TIPS and kind == 0:
        return TipStatus.ROUTED, True
    return TipStatus.CLOSED, routed


def _erased_at(now: datetime, closed_at: datetime | None) -> datetime | None:
    """Erased an hour after its year ran out, but the last day's worth still waits."""
    if closed_at is None:
        return None
    due = closed_at + timedelta(days=_CONTENT_DAYS)
    return due + timedelta(hours=1) if due < now - timedelta(days=1) else None


def _reporter(
    history: History, number: int, received: datetime, closed_at: datetime | None
) -> uuid.UUID:
    """Every 50th tip is the prolific source's; the others come two by two from one source
    (a million sources behind two million tips)."""
    if number % 50 == 0:
        return history.prolific
    if number % 2 == 1 and history.rows["reporters"]:
        reporter_id: uuid.UUID = history.rows["reporters"][-1]["id"]
        return reporter_id
    reporter_id = uuid.uuid4()
    expiry = (closed_at or history.now) + timedelta(days=_IDENTITY_DAYS)
    held = closed_at is None or expiry > history.now - timedelta(days=1)
    # Numbers of their own (+2239…): the bench's live traffic writes from +2237….
    phone = f"+2239{number % 10_000_000:07d}"
    history.rows["reporters"].append(
        {
            "id": reporter_id,
            # A destroyed number's index is random (``destroy_identity``); a held one is the
            # number's HMAC, as intake writes it.
            "blind_index": blind_index(history.keyring, phone) if held else uuid.uuid4().hex * 2,
            "identity_ciphertext": _sealed(history.keyring, reporter_id, phone) if held else None,
            "pseudonym": _fresh_pseudonym(history),
            "created_at": received,
            "opted_out_at": None,
            "identity_destroyed_at": None if held else expiry,
        }
    )
    return reporter_id


def _sealed(keyring: Keyring, reporter_id: uuid.UUID, phone: str) -> bytes:
    return seal(keyring, Purpose.IDENTITY, phone.encode(), context=f"reporter:{reporter_id}")


def _fresh_pseudonym(history: History) -> str:
    """Pseudonyms as intake draws them: a clash (a few in 100,000 six-character draws) is drawn
    again, as group commit does inside its batch."""
    while (pseudonym := new_pseudonym()) in history.pseudonyms:
        pass
    history.pseudonyms.add(pseudonym)
    return pseudonym


def _fresh_reference(history: History) -> str:
    """References as intake draws them: a clash with one already stored is drawn again."""
    while (reference := new_reference()) in history.references:
        pass
    history.references.add(reference)
    return reference


def _decision(
    keyring: Keyring, tip_id: uuid.UUID, number: int, received: datetime
) -> dict[str, Any]:
    decision_id = uuid.uuid4()
    return {
        "id": decision_id,
        "tip_id": tip_id,
        "rules_version": "bench",
        "input_digest": tip_id.hex,
        "category": ("vente", "trafic", "culture", "consommation")[number % 4],
        "substances": ["cannabis"],
        "priority": ("P1", "P2", "P3", "P3", "P4")[number % 5],
        "flags": [],
        "antenna": ANTENNAS[number % len(ANTENNAS)],
        "place": None,
        "rules": [],
        "hits_ciphertext": seal_text(
            keyring, Purpose.CONTENT, "[]", context=f"decision:{decision_id}"
        ),
        "confident": True,
        "created_at": received + timedelta(seconds=5),
    }


def _message(keyring: Keyring, tip_id: uuid.UUID, received: datetime) -> dict[str, Any]:
    message_id = uuid.uuid4()
    body = "yamba bɛ feere Kalaban Coura sugu kɔnɔ, su fɛ"
    return {
        "id": message_id,
        "tip_id": tip_id,
        "direction": Direction.INBOUND,
        "provider_id_hash": None,
        "provider_id_sealed": None,
        "transcript_of": None,
        "body_ciphertext": seal_text(
            keyring, Purpose.CONTENT, body, context=f"message:{message_id}"
        ),
        "created_at": received,
        "delivery_status": None,
    }


def _case(
    history: History, tip_id: uuid.UUID, number: int, received: datetime, status: TipStatus
) -> uuid.UUID:
    waiting_chief = status == TipStatus.ROUTED
    created = received + timedelta(minutes=10)
    case_id = uuid.uuid4()
    history.rows["cases"].append(
        {
            "id": case_id,
            "tip_id": tip_id,
            "antenna_code": ANTENNAS[number % len(ANTENNAS)],
            "status": CaseStatus.NEW if waiting_chief else CaseStatus.CLOSED,
            "routed_by": None,
            "created_at": created,
            "ack_deadline": created + timedelta(hours=2),
            "acknowledged_at": None if waiting_chief else created + timedelta(minutes=40),
        }
    )
    return case_id


def _audit(history: History, reference: str, case_id: uuid.UUID | None, received: datetime) -> None:
    """Two or three entries a tip (claimed, closed or routed, now and then a grade), chained."""
    sequence, previous = history.audit_tail
    actions = [("tip.claimed", f"tip:{reference}"), ("tip.closed", f"tip:{reference}")]
    if case_id is not None:
        actions[1] = ("case.status_changed", f"case:{case_id}")
    if sequence % 2 == 0:
        actions.append(("tip.grade_set", f"tip:{reference}"))
    secret = history.keyring.active(Purpose.AUDIT).secret
    for offset, (action, target) in enumerate(actions):
        sequence += 1
        entry = AuditEntry(
            sequence=sequence,
            recorded_at=received + timedelta(minutes=offset + 1),
            actor_username="permanence",
            actor_role="duty_officer",
            action=action,
            target=target,
            details_json="{}",
            previous_hash=previous,
            entry_hash="",
        )
        entry.entry_hash = previous = keyed_digest(secret, entry)
        history.rows["audit"].append(
            {column: getattr(entry, column) for column in _TABLES["audit"].c.keys()}
        )
    history.audit_tail = (sequence, previous)
