"""The arq worker: the same job functions as the in-process queue, on Redis."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.typing import WorkerCoroutine
from arq.worker import Function, Retry, func
from sqlalchemy.exc import SQLAlchemyError

from service.jobs import JOB_FUNCTIONS
from service.jobs.channel_options import CHANNEL_JOB_OPTIONS
from service.jobs.escalation import announce_routed_cases, escalate_overdue_cases
from service.jobs.leases import job_leases, release_stale_jobs
from service.jobs.outbox import relay_outbox
from service.jobs.retention import apply_retention
from service.outage import database_unreachable
from service.queue import JobFunction
from service.runtime import open_runtime
from service.settings import Settings

# Per-job limits: triage is fast and safe to retry; the relay is cheap and periodic.
_JOB_OPTIONS: dict[str, dict[str, Any]] = {
    "triage_tip": {"timeout": 60, "max_tries": 5},
    "relay_outbox": {"timeout": 60, "max_tries": 1},
    # Hourly; a run stops itself after 45 s and the next one carries on.
    "apply_retention": {"timeout": 60, "max_tries": 1},
    # Replies, media and recordings retry through Twilio outages (service/jobs/*).
    **CHANNEL_JOB_OPTIONS,
    # A chief's alert retries through Twilio outages; the periodic sweeps just run again.
    "alert_antenna_chiefs": {"timeout": 60, "max_tries": 10},
    "escalate_overdue_cases": {"timeout": 60, "max_tries": 1},
    "announce_routed_cases": {"timeout": 60, "max_tries": 1},
}


def worker_functions() -> list[Function]:
    return [
        func(_retry_when_database_down(job), name=name, **_JOB_OPTIONS.get(name, {}))
        for name, job in JOB_FUNCTIONS.items()
    ]


def _retry_when_database_down(job: JobFunction) -> WorkerCoroutine:
    """arq fails a job for good on any exception; a database restart is waited out instead."""

    @functools.wraps(job)
    async def run(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await job(ctx, *args, **kwargs)
        except (SQLAlchemyError, OSError) as error:
            if not database_unreachable(error):
                raise
            # 2, 4, 6… seconds: triage's five tries wait out about 20 s of outage.
            raise Retry(defer=min(2 * ctx.get("job_try", 1), 10)) from error

    return run


def deadline_crons() -> list[Any]:
    """Escalation every minute; cases the rules routed are announced to chiefs twice a minute."""
    return [
        cron(escalate_overdue_cases, second={5}, unique=True),
        cron(announce_routed_cases, second={20, 50}, unique=True),
    ]


def worker_settings(settings: Settings, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``arq.worker.Worker``; tests add ``burst=True``."""
    if not settings.redis_url:
        raise ValueError("the worker needs TIPLINE_REDIS_URL")

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["runtime"] = await open_runtime(settings)
        ctx.update(job_leases(job_timeouts(merged)))
        await ctx["runtime"].dispatcher.relay(older_than=timedelta(0))

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        if "runtime" in ctx:
            await ctx["runtime"].close()

    options: dict[str, Any] = {
        "functions": worker_functions(),
        "cron_jobs": [
            cron(relay_outbox, second=set(range(0, 60, 10)), unique=True),
            cron(apply_retention, minute={17}, second={0}, unique=True, timeout=60),
            cron(release_stale_jobs, second=set(range(0, 60, 5)), unique=True, timeout=30),
            *deadline_crons(),
        ],
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "poll_delay": 0.05,
        # Enough jobs at once for triage batches to fill (service.jobs.triage): a batch of 200
        # tips takes one database connection, the pool (service.db) has 40.
        "max_jobs": 500,
        "handle_signals": True,
        # arq leases a running job for the longest job timeout plus 10 s (released sooner by
        # release_stale_jobs); without a default, timeout-less cron jobs would count as 300 s.
        "job_timeout": 60,
        # The outbox, not arq, records that a job ran; a kept failed result would make arq refuse
        # the relay's re-enqueue of that job id for an hour.
        "keep_result": 0,
    }
    merged = options | overrides
    return merged


def job_timeouts(options: dict[str, Any]) -> list[tuple[str, float]]:
    """Each job's timeout as arq applies it (the worker's default when a job has none)."""
    default = float(options["job_timeout"])
    jobs = [*options["functions"], *options["cron_jobs"]]
    return [(job.name, float(job.timeout_s or default)) for job in jobs]
