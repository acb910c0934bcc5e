"""The arq worker: the same job functions as the in-process queue, on Redis."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.worker import Function, Worker, func

from service.jobs import JOB_FUNCTIONS
from service.jobs.channel_options import CHANNEL_JOB_OPTIONS
from service.jobs.escalation import announce_routed_cases, escalate_overdue_cases
from service.jobs.outbox import relay_outbox
from service.logging import configure_logging
from service.runtime import open_runtime
from service.settings import Settings

# Per-job limits: triage is fast and safe to retry; the relay is cheap and periodic.
_JOB_OPTIONS: dict[str, dict[str, Any]] = {
    "triage_tip": {"timeout": 60, "max_tries": 5},
    "relay_outbox": {"timeout": 60, "max_tries": 1},
    # Replies, media and recordings retry through Twilio outages (service/jobs/*).
    **CHANNEL_JOB_OPTIONS,
    # A chief's alert retries through Twilio outages; the periodic sweeps just run again.
    "alert_antenna_chiefs": {"timeout": 60, "max_tries": 10},
    "escalate_overdue_cases": {"timeout": 60, "max_tries": 1},
    "announce_routed_cases": {"timeout": 60, "max_tries": 1},
}


def worker_functions() -> list[Function]:
    return [
        func(job, name=name, **_JOB_OPTIONS.get(name, {})) for name, job in JOB_FUNCTIONS.items()
    ]


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
        await ctx["runtime"].dispatcher.relay(older_than=timedelta(0))

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        if "runtime" in ctx:
            await ctx["runtime"].close()

    options: dict[str, Any] = {
        "functions": worker_functions(),
        "cron_jobs": [
            cron(relay_outbox, second=set(range(0, 60, 10)), unique=True),
            *deadline_crons(),
        ],
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "poll_delay": 0.05,
        "max_jobs": 20,
        "handle_signals": True,
    }
    return options | overrides


def run(settings: Settings) -> None:
    configure_logging(level=settings.log_level, json=settings.log_format == "json")
    Worker(**worker_settings(settings)).run()
