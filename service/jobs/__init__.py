"""Job functions shared by the arq worker and the in-process queue: ``async def job(ctx, *ids)``."""

from __future__ import annotations

from service.jobs.outbox import relay_outbox
from service.jobs.registry import outbox_job
from service.jobs.triage import triage_tip
from service.queue import JobFunction

JOB_FUNCTIONS: dict[str, JobFunction] = {
    "triage_tip": outbox_job(triage_tip),
    "relay_outbox": relay_outbox,
}
