"""Every background job in one table: name → function, limits, schedule, outbox completion.

The arq worker (``service.worker``) and embedded mode's in-process queue (``service.startup``)
both run from this table. Jobs take ids, never objects or plaintext identity.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.background.backends import JobFunction
from service.background.leases import release_stale_jobs
from service.background.outbox import complete_job
from service.background.outbox_purge import purge_completed
from service.casework.jobs import (
    alert_antenna_chiefs,
    announce_routed_cases,
    escalate_overdue_cases,
)
from service.core.job_names import JobName
from service.decisions.jobs import triage_bundled, triage_tip
from service.intake.erasure import ERASE_MESSAGES_MAX_TRIES, erase_messages
from service.intake.jobs import (
    ERASE_CALL_MAX_TRIES,
    ERASE_MESSAGE_MAX_TRIES,
    FETCH_MEDIA_MAX_TRIES,
    FETCH_RECORDING_MAX_TRIES,
    erase_call,
    erase_message,
    fetch_media,
    fetch_recording,
)
from service.models.types import utcnow
from service.reporters.jobs import (
    ERASE_REPLY_MAX_TRIES,
    SEND_REPLY_MAX_TRIES,
    erase_reply,
    send_reply,
)
from service.retention.jobs import apply_retention
from service.retention.twilio_purge import PURGE_SCHEDULE, purge_twilio
from service.runtime import runtime_of


@dataclass(frozen=True)
class JobSpec:
    """How one job runs.

    ``completes_outbox``: the job's outbox entry is marked complete once it has run (the triage
    and erase_messages jobs do it themselves, in their own last transaction). ``cron``: arq's
    schedule keywords for a periodic run. ``queued``: False for a job that only runs on its
    schedule. The jobs that retry count their own tries (``ctx["job_try"]``) to stop at these
    same ``max_tries``; on the worker a run that met a database or Redis outage is not a try
    (``service.background.tries``).
    """

    function: JobFunction
    timeout: float = 60
    max_tries: int = 1
    completes_outbox: bool = False
    cron: Mapping[str, Any] | None = None
    queued: bool = True


async def relay_outbox(ctx: dict[str, Any]) -> int:
    """Queue what a crash or a Redis outage left pending in the outbox."""
    return await runtime_of(ctx).dispatcher.relay()


async def purge_outbox(ctx: dict[str, Any]) -> int:
    """Delete outbox entries completed more than a week ago."""
    return await purge_completed(runtime_of(ctx).sessions, now=utcnow())


_EVERY_10_SECONDS = {"second": set(range(0, 60, 10))}

JOBS: dict[JobName, JobSpec] = {
    # Triage is fast and safe to retry; a job carries the tips intake stored together.
    JobName.TRIAGE_TIP: JobSpec(triage_tip, max_tries=5),
    # Queued by earlier versions, which waited for the SMS bundling window: decided at once now.
    JobName.TRIAGE_BUNDLED: JobSpec(triage_bundled, max_tries=5),
    # The relay is cheap and periodic.
    JobName.RELAY_OUTBOX: JobSpec(relay_outbox, cron=_EVERY_10_SECONDS),
    # Nightly, in short batches (service.background.outbox_purge).
    JobName.PURGE_OUTBOX: JobSpec(
        purge_outbox, timeout=300, cron={"hour": {3}, "minute": {41}, "second": {0}}, queued=False
    ),
    # Hourly; a run stops itself after 45 s and the next one carries on.
    JobName.APPLY_RETENTION: JobSpec(apply_retention, cron={"minute": {17}, "second": {0}}),
    # Replies, media and recordings retry through Twilio outages.
    JobName.SEND_REPLY: JobSpec(send_reply, max_tries=SEND_REPLY_MAX_TRIES, completes_outbox=True),
    JobName.ERASE_REPLY: JobSpec(
        erase_reply, max_tries=ERASE_REPLY_MAX_TRIES, completes_outbox=True
    ),
    JobName.FETCH_MEDIA: JobSpec(
        fetch_media, timeout=300, max_tries=FETCH_MEDIA_MAX_TRIES, completes_outbox=True
    ),
    JobName.FETCH_RECORDING: JobSpec(
        fetch_recording, timeout=300, max_tries=FETCH_RECORDING_MAX_TRIES, completes_outbox=True
    ),
    # A stored batch's plain texts, deleted at Twilio by one job, which completes its outbox
    # entry itself with its last write.
    JobName.ERASE_MESSAGES: JobSpec(erase_messages, max_tries=ERASE_MESSAGES_MAX_TRIES),
    # One text: queued by earlier versions, still run after an upgrade.
    JobName.ERASE_MESSAGE: JobSpec(
        erase_message, max_tries=ERASE_MESSAGE_MAX_TRIES, completes_outbox=True
    ),
    JobName.ERASE_CALL: JobSpec(erase_call, max_tries=ERASE_CALL_MAX_TRIES, completes_outbox=True),
    # What a lost webhook or a delete given up left at Twilio, found by listing the account.
    JobName.PURGE_TWILIO: JobSpec(purge_twilio, timeout=300, cron=PURGE_SCHEDULE, queued=False),
    # A chief's alert retries through Twilio outages; the periodic sweeps just run again:
    # escalation every minute, cases the rules routed announced to chiefs twice a minute.
    JobName.ALERT_ANTENNA_CHIEFS: JobSpec(
        alert_antenna_chiefs, max_tries=10, completes_outbox=True
    ),
    JobName.ESCALATE_OVERDUE_CASES: JobSpec(escalate_overdue_cases, cron={"second": {5}}),
    JobName.ANNOUNCE_ROUTED_CASES: JobSpec(announce_routed_cases, cron={"second": {20, 50}}),
    # arq's leases of jobs that died with their worker (service.background.leases).
    JobName.RELEASE_STALE_JOBS: JobSpec(
        release_stale_jobs, timeout=30, cron={"second": set(range(0, 60, 5))}, queued=False
    ),
}


def queued_functions() -> dict[str, JobFunction]:
    """The function each queued job runs, with its outbox completion where the table says so."""
    return {
        name: _completing_outbox(spec.function) if spec.completes_outbox else spec.function
        for name, spec in JOBS.items()
        if spec.queued
    }


def _completing_outbox(job: JobFunction) -> JobFunction:
    """The queue's job id is the outbox entry's key (arq and the in-process queue alike)."""

    @functools.wraps(job)
    async def run(ctx: dict[str, Any], *args: Any) -> Any:
        result = await job(ctx, *args)
        await complete_job(runtime_of(ctx).sessions, ctx.get("job_id"))
        return result

    return run
