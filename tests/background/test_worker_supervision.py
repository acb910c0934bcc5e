"""The worker process's supervisor tells a lost Redis from a stop, also when arq hides it."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError

from service.background.process import run_once


class _RedisLostWhileJobsRan:
    """arq's ``Worker.run`` when Redis drops while jobs run: its ``close()``, in a ``finally``,
    cancels them and raises their ``CancelledError`` over the connection error."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.ctx: dict[str, Any] = {"runtime": "opened at start-up"}

    def run(self) -> None:
        try:
            raise RedisConnectionError("Connection closed by server.")
        finally:
            raise asyncio.CancelledError


def test_a_redis_loss_behind_cancelled_jobs_starts_a_fresh_worker() -> None:
    worker = _RedisLostWhileJobsRan()
    closed: list[dict[str, Any]] = []

    async def close_lost(ctx: dict[str, Any]) -> None:
        closed.append(ctx)

    try:
        stopped = run_once(worker, close_lost)  # type: ignore[arg-type]
    finally:
        worker.loop.close()

    assert stopped is False, "a lost Redis is waited out, the process does not exit"
    assert closed == [worker.ctx]
