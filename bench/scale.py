"""Years of data: the staff's reads and the periodic sweeps at growing sizes, on PostgreSQL.

    python -m bench.scale --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \
        --sizes 10000,100000

Creates a database of its own, migrates it, then for each size adds history (closed tips and
cases, spread over the years before the last 30 days) behind the same last 30 days (a few
thousand tips, some of them open, some cases awaiting their chief), written in bulk with the
project's own insert helper, references from ``crypto``. Each operation is then timed (median
of several runs) through the service functions the pages and the API call.

First version (issue 17, item 6 started): it does not yet go through HTTP with a signed-in
session, writes no audit entries and does not run retention, rotation or audit verification.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, text
from sqlalchemy.engine import make_url

from crypto import new_reference
from service.antennas.defaults import seed_antennas
from service.casework.alerts import announce_unalerted_cases
from service.casework.cases import list_cases
from service.casework.dashboard import dashboard_stats
from service.casework.escalation import overdue_cases
from service.casework.queue import QueueFilters, QueueView, build_queue
from service.casework.sources import source_record
from service.core.db import (
    SessionMaker,
    create_engine,
    create_sessionmaker,
    insert_rows,
    transaction,
)
from service.core.migrate import upgrade_to_head
from service.models import (
    Case,
    CaseStatus,
    Channel,
    Reporter,
    Role,
    StaffUser,
    Tip,
    TipStatus,
    TriageDecision,
)
from service.models.types import utcnow
from service.settings import Settings

_TIPS = cast(Table, getattr(Tip, "__table__"))  # noqa: B009 - SQLModel hides it
_DECISIONS = cast(Table, getattr(TriageDecision, "__table__"))  # noqa: B009
_CASES = cast(Table, getattr(Case, "__table__"))  # noqa: B009
_RECENT_TIPS = 3_000  # the last 30 days, the same at every size
_CHUNK = 5_000
_RUNS = 5
_ANTENNAS = ("BKO-RD", "BKO-RG", "SEG", "SIK", "KAY", "MOP")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server's URL")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--keep", action="store_true", help="keep the database (to EXPLAIN)")
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    url = await _fresh_database(arguments.database_url)
    # Filling is bulk work, and a slow read must be timed, not cut off at the request bound.
    engine = create_engine(url, bound_statements=False)
    sessions = create_sessionmaker(engine)
    now = utcnow()
    results: dict[str, dict[int, float]] = {}
    try:
        reporter = await _prepare(sessions, now)
        stored = 0
        for size in sizes:
            await _fill(sessions, now, stored, size, reporter)
            stored = size
            async with engine.connect() as connection:
                await connection.execute(text("ANALYZE"))
                await connection.commit()
            for name, seconds in (await _timings(sessions, now, reporter)).items():
                results.setdefault(name, {})[size] = seconds
    finally:
        await engine.dispose()
        if not arguments.keep:
            await _drop_database(arguments.database_url, url)
    _report(results, sizes)


async def _fresh_database(server_url: str) -> str:
    name = f"tipline_scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade_to_head, url)
    print(f"database {name}")
    return url


async def _drop_database(server_url: str, url: str) -> None:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", bound_statements=False)
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)'))
    await admin.dispose()


async def _prepare(sessions: SessionMaker, now: datetime) -> uuid.UUID:
    """The antennas, and one prolific source whose tips run through the history."""
    reporter = Reporter(blind_index=uuid.uuid4().hex, pseudonym="SRC-BENCH1", created_at=now)
    async with transaction(sessions) as session:
        await seed_antennas(session=session)
        session.add(reporter)
    return reporter.id


async def _fill(
    sessions: SessionMaker, now: datetime, start: int, size: int, reporter: uuid.UUID
) -> None:
    started = time.perf_counter()
    for first in range(start, size, _CHUNK):
        rows = [
            _rows(now, number, size, reporter) for number in range(first, min(size, first + _CHUNK))
        ]
        async with transaction(sessions) as session:
            await insert_rows(session, _TIPS, [tip for tip, _, _ in rows])
            await insert_rows(session, _DECISIONS, [decision for _, decision, _ in rows])
            await insert_rows(session, _CASES, [case for _, _, case in rows if case is not None])
    print(f"filled {size} tips in {time.perf_counter() - started:.0f} s")


def _rows(
    now: datetime, number: int, size: int, reporter: uuid.UUID
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """Tip ``number``: the first 3,000 are the last 30 days; the others go back in time."""
    recent = number < _RECENT_TIPS
    if recent:
        received = now - timedelta(days=30) * (number / _RECENT_TIPS)
    else:
        received = now - timedelta(days=30) - timedelta(minutes=5) * (number - _RECENT_TIPS)
    tip_id = uuid.uuid4()
    kind = number % 10
    routed = kind < 4
    waiting = recent and kind == 9
    status = (
        TipStatus.AWAITING_OFFICER
        if waiting
        else (TipStatus.ROUTED if recent and routed and kind == 0 else TipStatus.CLOSED)
    )
    priority = ("P1", "P2", "P3", "P3", "P4")[number % 5]
    tip = {
        "id": tip_id,
        "reference": new_reference(),
        "channel": (Channel.SMS, Channel.WHATSAPP, Channel.WEB, Channel.HOTLINE)[number % 4],
        "status": status,
        "reporter_id": reporter if number % 50 == 0 else None,
        "receipt_code_hash": None,
        "place_hint_ciphertext": None,
        "received_at": received,
        "last_message_at": received,
    }
    decision = {
        "id": uuid.uuid4(),
        "tip_id": tip_id,
        "rules_version": "bench",
        "input_digest": tip_id.hex,
        "category": ("vente", "trafic", "culture", "consommation")[number % 4],
        "substances": ["cannabis"],
        "priority": priority,
        "flags": [],
        "antenna": _ANTENNAS[number % len(_ANTENNAS)],
        "place": None,
        "rules": [],
        "hits_ciphertext": b"",
        "confident": True,
        "created_at": received + timedelta(seconds=5),
    }
    case = None
    if routed:
        waiting_chief = status == TipStatus.ROUTED
        created = received + timedelta(minutes=10)
        case = {
            "id": uuid.uuid4(),
            "tip_id": tip_id,
            "antenna_code": _ANTENNAS[number % len(_ANTENNAS)],
            "status": CaseStatus.NEW if waiting_chief else CaseStatus.CLOSED,
            "routed_by": None,
            "created_at": created,
            "ack_deadline": created + timedelta(hours=2),
            "acknowledged_at": None if waiting_chief else created + timedelta(minutes=40),
        }
    return tip, decision, case


async def _timings(sessions: SessionMaker, now: datetime, reporter: uuid.UUID) -> dict[str, float]:
    settings = Settings()
    chief = StaffUser(
        username="chef", role=Role.ANTENNA_CHIEF, antenna_code="SEG", password_hash="x"
    )
    supervisor = StaffUser(username="sup", role=Role.SUPERVISOR, password_hash="x")
    prolific = Tip(
        id=uuid.uuid4(), reference="OCS-BENC-HXXX", channel=Channel.SMS, reporter_id=reporter
    )

    def queue(view: QueueView) -> Callable[[Any], Awaitable[Any]]:
        filters = QueueFilters(view=view)
        return lambda s: build_queue(session=s, settings=settings, filters=filters, now=now)

    operations: dict[str, Callable[[Any], Awaitable[Any]]] = {
        "duty officers' queue": queue(QueueView.TO_DO),
        "late cases view": queue(QueueView.LATE),
        "closed tips view": queue(QueueView.CLOSED),
        "chief's cases": lambda s: list_cases(session=s, staff=chief),
        "supervisor's cases": lambda s: list_cases(session=s, staff=supervisor),
        "dashboard, 14 days": lambda s: dashboard_stats(session=s, now=now, days=14),
        "dashboard, 92 days": lambda s: dashboard_stats(session=s, now=now, days=92),
        "prolific source's tips": lambda s: source_record(session=s, tip=prolific),
        "escalation sweep": lambda s: overdue_cases(session=s, now=now),
        "announcement sweep": lambda s: announce_unalerted_cases(session=s, now=now),
    }
    return {name: await _median(sessions, operation) for name, operation in operations.items()}


async def _median(sessions: SessionMaker, operation: Callable[[Any], Awaitable[Any]]) -> float:
    durations = []
    for _ in range(_RUNS):
        async with sessions() as session, session.begin():
            started = time.perf_counter()
            await operation(session)
            durations.append(time.perf_counter() - started)
            await session.rollback()
    return statistics.median(durations) * 1000


def _report(results: dict[str, dict[int, float]], sizes: list[int]) -> None:
    header = ["operation", *(f"{size:,}" for size in sizes), "growth"]
    print(" | ".join(header))
    slowest, worst = ("", 0.0), ("", 0.0)
    for name, by_size in results.items():
        growth = by_size[sizes[-1]] / by_size[sizes[-2]] if len(sizes) > 1 else 1.0
        cells = [f"{by_size[size]:.0f} ms" for size in sizes]
        print(" | ".join([name, *cells, f"{growth:.1f}x"]))
        if by_size[sizes[-1]] > slowest[1]:
            slowest = (name, by_size[sizes[-1]])
        if growth > worst[1]:
            worst = (name, growth)
    print(
        f"scale: slowest request {slowest[1]:.0f} ms ({slowest[0]}) at {sizes[-1]:,}, "
        f"worst growth {worst[1]:.1f}x ({worst[0]}), retention not measured"
    )


if __name__ == "__main__":
    asyncio.run(main())
