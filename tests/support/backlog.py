"""A backlog of stored, triaged tips, written in bulk through the project's own insert helper.

Thousands of tips through the webhook would take minutes; these rows are what intake and triage
store (a reference from ``crypto``, a decision with the rules' values), written with
``service.core.db.insert_rows``, the statement intake itself uses.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table

from crypto import new_reference
from service.core.db import create_engine, create_sessionmaker, insert_rows, transaction
from service.models import Case, CaseStatus, Channel, Tip, TipStatus, TriageDecision
from tests.support.databases import TEST_LIMITS

_TIPS = cast(Table, getattr(Tip, "__table__"))  # noqa: B009 - SQLModel hides it
_DECISIONS = cast(Table, getattr(TriageDecision, "__table__"))  # noqa: B009
_CASES = cast(Table, getattr(Case, "__table__"))  # noqa: B009
_CHUNK = 1000


async def add_backlog(
    database_url: str,
    *,
    count: int,
    priority: str,
    newest: datetime,
    spacing: timedelta = timedelta(minutes=1),
    status: TipStatus = TipStatus.AWAITING_OFFICER,
    reporter_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """``count`` tips received ``spacing`` apart up to ``newest``, each decided ``priority``;
    their ids, oldest first."""
    tips, decisions = [], []
    for age in range(count, 0, -1):
        received = newest - age * spacing
        tip_id = uuid.uuid4()
        tips.append(_tip(tip_id, received, status, reporter_id))
        decisions.append(_decision(tip_id, received, priority))
    engine = create_engine(database_url, TEST_LIMITS)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            for start in range(0, count, _CHUNK):
                await insert_rows(session, _TIPS, tips[start : start + _CHUNK])
                await insert_rows(session, _DECISIONS, decisions[start : start + _CHUNK])
    finally:
        await engine.dispose()
    return [tip["id"] for tip in tips]


def _tip(
    tip_id: uuid.UUID, received: datetime, status: TipStatus, reporter_id: uuid.UUID | None
) -> dict[str, Any]:
    return {
        "id": tip_id,
        "reference": new_reference(),
        "channel": Channel.SMS,
        "status": status,
        "reporter_id": reporter_id,
        "receipt_code_hash": None,
        "place_hint_ciphertext": None,
        "received_at": received,
        "last_message_at": received,
        "closed_at": received if status == TipStatus.CLOSED else None,
        "content_erased_at": None,
    }


def _decision(tip_id: uuid.UUID, received: datetime, priority: str) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "tip_id": tip_id,
        "rules_version": "backlog",
        "input_digest": tip_id.hex,
        "category": "vente",
        "substances": ["cannabis"],
        "priority": priority,
        "flags": [],
        "antenna": "BKO-RD",
        "place": None,
        "rules": [],
        # The queue never opens the rule hits; these rows carry none.
        "hits_ciphertext": b"",
        "confident": True,
        "created_at": received + timedelta(seconds=5),
    }


async def add_cases(
    database_url: str,
    tip_ids: list[uuid.UUID],
    *,
    antenna: str,
    routed: datetime,
    closed: bool = False,
) -> list[uuid.UUID]:
    """A case at ``antenna`` for each tip, routed a second apart up to ``routed``, as routing
    writes it (its deadline a day later), or ``closed`` after its chief acknowledged it; the
    case ids, in the tips' order."""
    cases: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "tip_id": tip_id,
            "antenna_code": antenna,
            "status": CaseStatus.CLOSED if closed else CaseStatus.NEW,
            "routed_by": None,
            "created_at": routed - timedelta(seconds=len(tip_ids) - position),
            "ack_deadline": routed + timedelta(days=1),
            "acknowledged_at": routed + timedelta(minutes=5) if closed else None,
        }
        for position, tip_id in enumerate(tip_ids)
    ]
    engine = create_engine(database_url, TEST_LIMITS)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            for start in range(0, len(cases), _CHUNK):
                await insert_rows(session, _CASES, cases[start : start + _CHUNK])
    finally:
        await engine.dispose()
    return [case["id"] for case in cases]
