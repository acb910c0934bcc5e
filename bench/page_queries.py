"""Where a staff page's time goes: every SQL statement it sends, slowest first, on a database
that ``python -m bench.scale --keep`` left behind.

    python -m bench.page_queries --database-url postgresql+asyncpg://…/tipline_scale_… \\
        --data-dir /tmp/tipline-scale-… duty_officer:/console/signalements \\
        supervisor:'/console/tableau-de-bord?jours=92'

``prolific`` in a path stands for the latest tip of the source with the most tips. Each page is
requested once to warm up, then once more with its statements timed.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

from asgi_lifespan import LifespanManager
from sqlalchemy import event, func, select
from sqlmodel import col

from bench.scale import _REDIS_URL, _settings, _signed_in
from service.app import create_app
from service.core.logging import configure_logging
from service.models import Role, Tip
from service.runtime import Runtime


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--redis-url", default=_REDIS_URL)
    parser.add_argument("pages", nargs="+", help="role:path")
    arguments = parser.parse_args()
    configure_logging(level="ERROR")
    app = create_app(_settings(arguments.database_url, arguments.data_dir, arguments.redis_url))
    async with LifespanManager(app):
        runtime: Runtime = app.state.runtime
        timings: list[tuple[float, str]] = []
        _time_statements(runtime, timings)
        prolific = await _prolific_tip(runtime)
        for page in arguments.pages:
            role, _, path = page.partition(":")
            client = await _signed_in(app, runtime, Role(role))
            path = path.replace("prolific", str(prolific))
            await client.get(path)
            timings.clear()
            started = time.perf_counter()
            response = await client.get(path)
            total = (time.perf_counter() - started) * 1000
            in_sql = sum(milliseconds for milliseconds, _ in timings)
            print(f"\n{page}: {response.status_code}, {total:.0f} ms, {in_sql:.0f} ms in SQL")
            for milliseconds, statement in sorted(timings, reverse=True)[:8]:
                print(f"  {milliseconds:7.1f} ms  {' '.join(statement.split())[:400]}")
            await client.aclose()


def _time_statements(runtime: Runtime, timings: list[tuple[float, str]]) -> None:
    engine = runtime.engine.sync_engine

    @event.listens_for(engine, "before_cursor_execute")
    def started(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info["started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def finished(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        timings.append(((time.perf_counter() - conn.info["started"]) * 1000, statement))


async def _prolific_tip(runtime: Runtime) -> Any:
    async with runtime.sessions() as session:
        source = await session.scalar(
            select(col(Tip.reporter_id))
            .group_by(col(Tip.reporter_id))
            .order_by(func.count().desc())
            .limit(1)
        )
        return await session.scalar(
            select(col(Tip.id))
            .where(col(Tip.reporter_id) == source)
            .order_by(col(Tip.received_at).desc())
            .limit(1)
        )


if __name__ == "__main__":
    asyncio.run(main())
