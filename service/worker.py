"""``tipline worker``: arq's worker running the jobs of ``service.jobs`` on Redis."""

from __future__ import annotations

import asyncio
import functools
import gc
from datetime import timedelta
from typing import Any

import structlog
from arq import cron
from arq.connections import RedisSettings
from arq.cron import CronJob
from arq.typing import WorkerCoroutine
from arq.worker import Function, Retry, Worker, func
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import SQLAlchemyError

from service.background.backends import JobFunction
from service.background.leases import job_leases
from service.background.process import serve_metrics, supervise
from service.background.tries import OUTAGE_RUNS, JobTries
from service.core.logging import configure_logging
from service.core.outage import database_unreachable
from service.core.twilio import TwilioError
from service.jobs import JOBS, queued_functions
from service.settings import Settings
from service.startup import Process, open_process

log = structlog.get_logger(__name__)


def run(settings: Settings) -> None:
    """The ``tipline worker`` process, until a signal stops it."""
    configure_logging(level=settings.log_level, json=settings.log_format == "json")
    serve_metrics(settings.worker_metrics_port, settings.worker_metrics_host)
    asyncio.set_event_loop_policy(_event_loop_policy())
    supervise(
        lambda: Worker(**worker_settings(settings)),
        close_process,
        stop_seconds=settings.worker_stop_seconds,
    )


def _event_loop_policy() -> asyncio.AbstractEventLoopPolicy:
    """arq's worker runs on the thread's event loop: uvloop's where it is installed, as uvicorn
    gives the API. The worker is a loop of short database, Redis and Twilio round trips, and
    uvloop's loop costs less a round trip than asyncio's pure-Python one (6-10 % of a triage
    batch's CPU)."""
    try:
        import uvloop
    except ImportError:  # uvicorn[standard] installs it everywhere but on Windows
        return asyncio.DefaultEventLoopPolicy()
    policy: asyncio.AbstractEventLoopPolicy = uvloop.EventLoopPolicy()
    return policy


async def close_process(ctx: dict[str, Any]) -> None:
    """Close what the worker's start-up opened (also when arq gave up before on_shutdown)."""
    process: Process | None = ctx.pop("process", None)
    ctx.pop("runtime", None)
    if process is not None:
        await process.close()


def worker_functions() -> list[Function]:
    functions = queued_functions()
    return [
        func(
            outages_spend_no_tries(name, functions[name], spec.max_tries),
            name=name,
            timeout=spec.timeout,
            max_tries=spec.max_tries + OUTAGE_RUNS,
        )
        for name, spec in JOBS.items()
        if spec.queued
    ]


def scheduled_jobs() -> list[CronJob]:
    return [
        cron(
            _one_line_on_outage(name, spec.function),
            name=f"cron:{name}",
            timeout=spec.timeout,
            **spec.cron,
        )
        for name, spec in JOBS.items()
        if spec.cron is not None
    ]


def _one_line_on_outage(name: str, job: JobFunction) -> WorkerCoroutine:
    """A scheduled run that fails because the database, Redis or Twilio is unreachable is one
    warning line, not arq's ERROR traceback each time: the next run tries again."""

    @functools.wraps(job)
    async def run(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await job(ctx, *args, **kwargs)
        except (SQLAlchemyError, OSError, RedisError, TwilioError) as error:
            unreachable = _unreachable(error)
            if unreachable is None:
                raise
            log.warning(
                "scheduled_job_skipped",
                job=name,
                unreachable=unreachable,
                error=type(error).__name__,
            )
            return None

    return run


def _unreachable(error: BaseException) -> str | None:
    """The service ``error`` says is down or busy, or None for an error of any other kind."""
    if isinstance(error, RedisConnectionError | RedisTimeoutError):
        return "redis"
    if isinstance(error, TwilioError):
        return "twilio" if error.temporary else None
    if isinstance(error, SQLAlchemyError | OSError) and database_unreachable(error):
        return "database"
    return None


def outages_spend_no_tries(name: str, job: JobFunction, max_tries: int) -> WorkerCoroutine:
    """arq fails a job for good on any exception; a database or Redis outage is waited out
    instead, as many times as it takes, without spending the job's tries (``JobTries``)."""

    @functools.wraps(job)
    async def run(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
        tries = JobTries(ctx)
        spent = await tries.spent()
        if spent >= max_tries:  # a backstop: the jobs that retry stop at their max_tries
            log.warning("job_tries_exhausted", job=name, tries=spent)
            return None
        try:
            return await job(ctx | {"job_try": spent + 1}, *args, **kwargs)
        except Retry:
            await tries.spend(spent)
            raise
        except (SQLAlchemyError, OSError, RedisConnectionError, RedisTimeoutError) as error:
            if not isinstance(error, RedisError) and not database_unreachable(error):
                raise
            # 2, 4, 6… seconds, then every 10 s until the outage ends.
            raise Retry(defer=min(2 * int(ctx.get("job_try", 1)), 10)) from error

    return run


def worker_settings(settings: Settings, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``arq.worker.Worker``; tests add ``burst=True``."""
    if not settings.redis_url:
        raise ValueError("the worker needs TIPLINE_REDIS_URL")

    async def on_startup(ctx: dict[str, Any]) -> None:
        process = await open_process(settings)
        ctx["process"], ctx["runtime"] = process, process.runtime
        ctx.update(job_leases(job_timeouts(merged)))
        await _relay_unless_database_down(process)
        # What start-up built (rules, gazetteer automaton, mappers) lives as long as the
        # process: kept out of the cyclic collector, as the API does (service.app). In a drain
        # its full passes over it were about 7 % of the worker's samples.
        gc.collect()
        gc.freeze()

    options: dict[str, Any] = {
        "functions": worker_functions(),
        "cron_jobs": scheduled_jobs(),
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "on_startup": on_startup,
        "on_shutdown": close_process,
        "poll_delay": 0.05,
        # A triage job (a stored batch of tips) holds one database connection while it runs: no
        # more jobs at once than the pool holds (TIPLINE_DATABASE_POOL_SIZE + _MAX_OVERFLOW), so
        # none waits out the pool timeout behind the others.
        "max_jobs": settings.database_pool_size + settings.database_max_overflow,
        # service.background.process stops the worker on a signal, in order.
        "handle_signals": False,
        # arq leases a running job for the longest job timeout plus 10 s (released sooner by
        # release_stale_jobs); without a default, timeout-less cron jobs would count as 300 s.
        "job_timeout": 60,
        # The outbox, not arq, records that a job ran; a kept failed result would make arq refuse
        # the relay's re-enqueue of that job id for an hour.
        "keep_result": 0,
    }
    merged = options | overrides
    return merged


async def _relay_unless_database_down(process: Process) -> None:
    """What is pending, queued at start-up; with the database down (unreachable, or starting
    up: 57P03) the worker starts anyway and the relay's cron job catches up once it answers."""
    try:
        await process.runtime.dispatcher.relay(older_than=timedelta(0))
    except (SQLAlchemyError, OSError) as error:
        if not database_unreachable(error):
            raise
        log.warning("database_unreachable_at_start", error=type(error).__name__)


def job_timeouts(options: dict[str, Any]) -> list[tuple[str, float]]:
    """Each job's timeout as arq applies it (the worker's default when a job has none)."""
    default = float(options["job_timeout"])
    jobs = [*options["functions"], *options["cron_jobs"]]
    return [(job.name, float(job.timeout_s or default)) for job in jobs]
