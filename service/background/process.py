"""Keeping an arq worker running in its process: started again when it loses Redis.

arq's worker stops for good on a Redis connection error (a restart, a failover). Its jobs are
safe — the outbox relay queues again whatever did not complete — but a worker that exits needs a
supervisor to come back. This loop is that supervisor inside the process: it closes what the
worker opened, waits, and starts a fresh worker, until a signal stops it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from arq.worker import Worker
from prometheus_client import start_http_server
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)

_RESTART_DELAY_SECONDS = 2.0

# Closes what the worker's start-up put in its ctx, when arq gave up before its on_shutdown.
CloseLost = Callable[[dict[str, Any]], Awaitable[None]]


def supervise(make_worker: Callable[[], Worker], close_lost: CloseLost) -> None:
    """Run workers made by ``make_worker`` until a signal stops one."""
    while not run_once(make_worker(), close_lost):
        time.sleep(_RESTART_DELAY_SECONDS)


def run_once(worker: Worker, close_lost: CloseLost) -> bool:
    """Run ``worker`` until a signal stops it (True) or it loses Redis (False)."""
    try:
        worker.run()
    except (RedisError, OSError) as error:
        log.warning("worker_lost_redis", error=type(error).__name__)
        worker.loop.run_until_complete(close_lost(worker.ctx))
        return False
    return True


def serve_metrics(port: int | None, host: str, *, process: str = "worker") -> None:
    """The process's metrics (a worker's job durations, tips routed, escalations; an API's
    requests and queue depth) on their own port, away from the public one."""
    if not port:
        return
    try:
        start_http_server(port, addr=host)
    except OSError as error:  # a second process on the same host: its metrics are not served
        log.warning(f"{process}_metrics_not_served", error=str(error))
