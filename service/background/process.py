"""Keeping an arq worker running in its process: started again when it loses Redis.

arq's worker stops for good on a Redis connection error (a restart, a failover). Its jobs are
safe — the outbox relay queues again whatever did not complete — but a worker that exits needs a
supervisor to come back. This loop is that supervisor inside the process: it closes what the
worker opened, waits, and starts a fresh worker, until a signal stops it.

A signal (SIGTERM from a rolling restart, SIGINT) stops the worker in order, with arq's worker
as shipped and its public attributes only: it takes no new job, lets the running ones finish for
``TIPLINE_WORKER_STOP_SECONDS``, hands back those still running by cancelling the job itself —
arq then frees its lease and leaves it queued, so another worker runs it at once instead of after
the stale-job sweep — and exits 0. arq's own signal handler cancels its job-running tasks instead,
which, caught in their last Redis write, left the job marked as running and ended the process
with a ``CancelledError`` traceback and status 1.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from arq.worker import Worker
from prometheus_client import start_http_server
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)

_RESTART_DELAY_SECONDS = 2.0
# After the stop wait: how long cancelled jobs get to hand themselves back, and how often to look.
_HAND_BACK_SECONDS = 2.0
_POLL_SECONDS = 0.02

# Closes what the worker's start-up put in its ctx, when arq gave up before its on_shutdown.
CloseLost = Callable[[dict[str, Any]], Awaitable[None]]


def supervise(
    make_worker: Callable[[], Worker], close_lost: CloseLost, *, stop_seconds: float
) -> None:
    """Run workers made by ``make_worker`` (``handle_signals=False``) until a signal stops one."""
    while True:
        worker = make_worker()
        stop_on_signals(worker, stop_seconds)
        if run_once(worker, close_lost):
            return
        time.sleep(_RESTART_DELAY_SECONDS)


def stop_on_signals(worker: Worker, stop_seconds: float) -> None:
    """SIGTERM and SIGINT stop ``worker`` in order (see the module docstring)."""
    stopping: list[asyncio.Task[None]] = []

    def on_signal(signum: int) -> None:
        if stopping:
            return
        log.info("worker_stopping", signal=signal.Signals(signum).name, jobs=running(worker))
        stopping.append(stop_in_order(worker, stop_seconds))

    for signum in (signal.SIGTERM, signal.SIGINT):
        worker.loop.add_signal_handler(signum, on_signal, signum)


def running(worker: Worker) -> int:
    return sum(not task.done() for task in worker.tasks.values())


def busy(worker: Worker) -> bool:
    """A job running, or one arq is starting: its ``job_counter`` counts a job from before it
    marks it as running in Redis until its task ends, while ``tasks`` holds it only once its
    task exists. Stopping the worker in that gap would leave the mark with no task to clear it."""
    return worker.job_counter > 0 or running(worker) > 0


def stop_in_order(worker: Worker, stop_seconds: float) -> asyncio.Task[None]:
    """Stop ``worker`` as a signal does: wait for its jobs, hand back the rest, end its loop."""
    # No new job: neither from the next poll nor from the batch arq is starting now.
    worker.allow_pick_jobs = False
    worker.max_jobs = 0
    return worker.loop.create_task(_stop(worker, stop_seconds))


async def _stop(worker: Worker, stop_seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + stop_seconds
    while busy(worker) and loop.time() < deadline:
        await asyncio.sleep(_POLL_SECONDS)
    handed_back: set[str] = set()
    deadline = loop.time() + _HAND_BACK_SECONDS
    while busy(worker) and loop.time() < deadline:
        # The job's own task, not arq's task around it: arq sees a cancelled job, frees its
        # lease and keeps it queued ("will be run again"). A job just starting is caught next.
        for job_id, task in list(worker.job_tasks.items()):
            if task.cancel():
                handed_back.add(job_id)
        await asyncio.sleep(_POLL_SECONDS)
    log.info("worker_stopped", handed_back=len(handed_back), still_running=running(worker))
    if worker.main_task is not None:
        worker.main_task.cancel()


def run_once(worker: Worker, close_lost: CloseLost) -> bool:
    """Run ``worker`` until a signal stops it (True) or it loses Redis (False)."""
    try:
        worker.run()
    except (RedisError, OSError) as error:
        return _lost_redis(worker, close_lost, error)
    except asyncio.CancelledError as error:
        if isinstance(error.__context__, (RedisError, OSError)):
            # Redis went away while jobs ran: arq's close() cancelled them, and that cancellation
            # hid the connection error. Started again like any loss of Redis.
            return _lost_redis(worker, close_lost, error.__context__)
        # Only if a job outlived its hand-back and arq's close() cancelled it mid-write: the
        # process still stops cleanly; that job waits for the stale-job sweep.
        log.warning("worker_stop_interrupted")
        worker.loop.run_until_complete(close_lost(worker.ctx))
    return True


def _lost_redis(worker: Worker, close_lost: CloseLost, error: BaseException) -> bool:
    log.warning("worker_lost_redis", error=type(error).__name__)
    worker.loop.run_until_complete(close_lost(worker.ctx))
    return False


def serve_metrics(port: int | None, host: str, *, process: str = "worker") -> None:
    """The process's metrics (a worker's job durations, tips routed, escalations; an API's
    requests and queue depth) on their own port, away from the public one."""
    if not port:
        return
    try:
        start_http_server(port, addr=host)
    except OSError as error:  # a second process on the same host: its metrics are not served
        log.warning(f"{process}_metrics_not_served", error=str(error))
