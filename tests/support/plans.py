"""PostgreSQL query plans of captured statements, with sequential scans disabled.

At test sizes a Seq Scan is often the cheapest plan, so plans are asked for with
``enable_seqscan`` off: a statement that still scans a table, or walks an index it cannot seek in,
has no index behind it; at two million tips that is the slow page or the slow sweep."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.core.db import create_engine
from tests.support.databases import TEST_LIMITS

Captured = list[tuple[str, Any]]


@contextmanager
def capturing_selects(engine: AsyncEngine, *, skip: str = "count(") -> Iterator[Captured]:
    """Every SELECT the engine sends meanwhile, with its parameters (those containing ``skip``
    left out)."""
    captured: Captured = []

    def capture(_c: object, _k: object, statement: str, parameters: Any, *_: object) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and skip not in statement:
            captured.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        yield captured
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)


async def plans_of(url: str, statements: Captured) -> list[tuple[str, str]]:
    """EXPLAIN of each statement captured, with the parameters it was sent with."""
    engine = create_engine(url, TEST_LIMITS)
    plans = []
    try:
        async with engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            await connection.execute(text("SET enable_seqscan = off"))
            for statement, parameters in statements:
                found = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
                plans.append((statement, "\n".join(row[0] for row in found)))
    finally:
        await engine.dispose()
    return plans


def plan_of(plans: list[tuple[str, str]], words: str) -> str:
    """The plan of the one statement containing ``words``."""
    [plan] = [plan for statement, plan in plans if words in statement]
    return plan
