"""Migration 0008 reads, once, the evidence retention used to read on every run: a closed tip's
``closed_at`` is the latest of its last message, its closure, its case's creation and
acknowledgement and anything audited on the tip or its case; an erased tip gets its
``content_erased_at``. On SQLite and on PostgreSQL (case ids become audit targets differently)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Uuid, column, insert, select, table
from sqlmodel import col

from service.core.db import create_engine
from service.core.migrate import alembic_config, upgrade_to_head
from service.models import Tip
from service.models.types import UTCDateTime, utcnow
from tests.support import databases
from tests.support.databases import TEST_LIMITS

DAY = timedelta(days=1)
T0 = utcnow().replace(microsecond=0) - 500 * DAY


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_at_0007(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        await asyncio.to_thread(command.upgrade, alembic_config(url), "0007")
        yield url
        return
    base = databases.postgres_base_url()
    if base is None:
        pytest.skip("TIPLINE_TEST_DATABASE_URL is not set (outside CI)")
    url = await databases.create_empty_postgres_database(base)
    try:
        await asyncio.to_thread(command.upgrade, alembic_config(url), "0007")
        yield url
    finally:
        await databases.drop_postgres_database_async(base, url)


def _table(name: str, *names: str, ids: tuple[str, ...] = (), times: tuple[str, ...] = ()) -> Any:
    return table(
        name,
        *(column(n) for n in names),
        *(column(n, Uuid()) for n in ids),
        *(column(n, UTCDateTime()) for n in times),
    )


_ANTENNAS = _table("antennas", "code", "name", "seat", "operational")
_STAFF = _table(
    "staff_users",
    "username",
    "role",
    "password_hash",
    "must_change_password",
    "disabled",
    "failed_sign_ins",
    ids=("id",),
    times=("created_at",),
)
_TIPS = _table(
    "tips", "reference", "channel", "status", ids=("id",), times=("received_at", "last_message_at")
)
_CLOSURES = _table("tip_closures", "reason", ids=("tip_id", "closed_by"), times=("closed_at",))
_CASES = _table(
    "cases",
    "antenna_code",
    "status",
    ids=("id", "tip_id"),
    times=("created_at", "acknowledged_at"),
)
_AUDIT = _table(
    "audit_entries",
    "sequence",
    "action",
    "target",
    "details_json",
    "previous_hash",
    "entry_hash",
    times=("recorded_at",),
)


async def test_closing_and_erasure_times_are_read_from_the_records(database_at_0007: str) -> None:
    url = database_at_0007
    officer, closed_by_officer, closed_case, erased, still_open = (uuid.uuid4() for _ in range(5))
    case_id = uuid.uuid4()
    tips = [
        _tip(closed_by_officer, "OCS-AAAA-0001", "closed"),
        _tip(closed_case, "OCS-AAAA-0002", "closed"),
        _tip(erased, "OCS-AAAA-0003", "closed"),
        _tip(still_open, "OCS-AAAA-0004", "routed"),
    ]
    audit = [
        # The chief closed the case a month after acknowledging it: only the trail says so.
        _entry(1, "case.status_changed", f"case:{case_id}", T0 + 40 * DAY),
        _entry(2, "tip.grade_set", "tip:OCS-AAAA-0003", T0 + 3 * DAY),
        _entry(3, "tip.content_erased", "tip:OCS-AAAA-0003", T0 + 400 * DAY),
        _entry(4, "tip.claimed", "tip:OCS-AAAA-0004", T0 + 2 * DAY),
    ]
    await _insert(
        url,
        (_ANTENNAS, [{"code": "SIK", "name": "Sikasso", "seat": "Sikasso", "operational": True}]),
        (_STAFF, [_officer(officer)]),
        (_TIPS, tips),
        (_CLOSURES, [_closure(closed_by_officer, officer, T0 + 5 * DAY)]),
        (_CASES, [_case(case_id, closed_case)]),
        (_AUDIT, audit),
    )

    await asyncio.to_thread(upgrade_to_head, url)

    found = await _retention_times(url)
    assert found[closed_by_officer] == (T0 + 5 * DAY, None)
    assert found[closed_case] == (T0 + 40 * DAY, None)
    assert found[erased] == (T0 + 400 * DAY, T0 + 400 * DAY)
    assert found[still_open] == (None, None)


def _tip(tip_id: uuid.UUID, reference: str, status: str) -> dict[str, Any]:
    return {
        "id": tip_id,
        "reference": reference,
        "channel": "sms",
        "status": status,
        "received_at": T0,
        "last_message_at": T0 + DAY,
    }


def _officer(officer: uuid.UUID) -> dict[str, Any]:
    return {
        "id": officer,
        "username": "permanence",
        "role": "duty_officer",
        "password_hash": "x",
        "must_change_password": False,
        "disabled": False,
        "failed_sign_ins": 0,
        "created_at": T0,
    }


def _closure(tip_id: uuid.UUID, officer: uuid.UUID, at: datetime) -> dict[str, Any]:
    return {"tip_id": tip_id, "reason": "spam", "closed_by": officer, "closed_at": at}


def _case(case_id: uuid.UUID, tip_id: uuid.UUID) -> dict[str, Any]:
    return {
        "id": case_id,
        "tip_id": tip_id,
        "antenna_code": "SIK",
        "status": "clos",
        "created_at": T0 + 2 * DAY,
        "acknowledged_at": T0 + 9 * DAY,
    }


def _entry(sequence: int, action: str, target: str, at: datetime) -> dict[str, Any]:
    return {
        "sequence": sequence,
        "action": action,
        "target": target,
        "details_json": "{}",
        "previous_hash": "0" * 64,
        "entry_hash": f"{sequence:064d}",
        "recorded_at": at,
    }


async def _insert(url: str, *rows: tuple[Any, list[dict[str, Any]]]) -> None:
    engine = create_engine(url, TEST_LIMITS)
    try:
        async with engine.begin() as connection:
            for target, values in rows:
                await connection.execute(insert(target), values)
    finally:
        await engine.dispose()


async def _retention_times(
    url: str,
) -> dict[uuid.UUID, tuple[datetime | None, datetime | None]]:
    engine = create_engine(url, TEST_LIMITS)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(col(Tip.id), col(Tip.closed_at), col(Tip.content_erased_at))
            )
            return {tip_id: (closed, erased) for tip_id, closed, erased in rows}
    finally:
        await engine.dispose()
