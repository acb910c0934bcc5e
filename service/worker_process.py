"""The ``tipline worker`` process: arq's worker, started again when it loses Redis.

arq's worker stops for good on a Redis connection error (a restart, a failover). Its jobs are
safe — the outbox relay queues again whatever did not complete — but a worker that exits needs a
supervisor to come back. This loop is that supervisor inside the process: it closes what the
worker opened, waits, and starts a fresh worker, until a signal stops it.
"""

from __future__ import annotations

import time

import structlog
from arq.worker import Worker
from prometheus_client import start_http_server
from redis.exceptions import RedisError

from service.claiming_worker import ClaimingWorker
from service.logging import configure_logging
from service.runtime import runtime_of
from service.settings import Settings
from service.worker import worker_settings

log = structlog.get_logger(__name__)

_RESTART_DELAY_SECONDS = 2.0


def run(settings: Settings) -> None:
    configure_logging(level=settings.log_level, json=settings.log_format == "json")
    serve_metrics(settings)
    while not run_once(ClaimingWorker(**worker_settings(settings))):
        time.sleep(_RESTART_DELAY_SECONDS)


def run_once(worker: Worker) -> bool:
    """Run ``worker`` until a signal stops it (True) or it loses Redis (False)."""
    try:
        worker.run()
    except (RedisError, OSError) as error:
        log.warning("worker_lost_redis", error=type(error).__name__)
        _close_runtime(worker)
        return False
    return True


def serve_metrics(settings: Settings) -> None:
    """The worker's metrics (job durations, tips routed, escalations) on their own port."""
    if not settings.worker_metrics_port:
        return
    try:
        start_http_server(settings.worker_metrics_port, addr=settings.worker_metrics_host)
    except OSError as error:  # a second worker on the same host: its metrics are not served
        log.warning("worker_metrics_not_served", error=str(error))


def _close_runtime(worker: Worker) -> None:
    """arq's close gave up before its on_shutdown: close the database pool here."""
    if "runtime" not in worker.ctx:
        return
    worker.loop.run_until_complete(runtime_of(worker.ctx).close())
    worker.ctx.pop("runtime")
