"""Job functions shared by the arq worker and the in-process queue: ``async def job(ctx, *ids)``."""

from __future__ import annotations

from service.jobs.bundling import triage_bundled
from service.jobs.escalation import (
    alert_antenna_chiefs,
    announce_routed_cases,
    escalate_overdue_cases,
)
from service.jobs.media import fetch_media
from service.jobs.outbound import erase_reply, send_reply
from service.jobs.outbox import relay_outbox
from service.jobs.recordings import fetch_recording
from service.jobs.registry import outbox_job
from service.jobs.retention import apply_retention
from service.jobs.triage import triage_tip
from service.queue import JobFunction

# The triage jobs mark their outbox entries complete in their own transaction (their batch's).
JOB_FUNCTIONS: dict[str, JobFunction] = {
    "triage_tip": triage_tip,
    "relay_outbox": relay_outbox,
    "apply_retention": apply_retention,
    "triage_bundled": triage_bundled,
    "send_reply": outbox_job(send_reply),
    "erase_reply": outbox_job(erase_reply),
    "fetch_media": outbox_job(fetch_media),
    "fetch_recording": outbox_job(fetch_recording),
    "alert_antenna_chiefs": outbox_job(alert_antenna_chiefs),
    "escalate_overdue_cases": escalate_overdue_cases,
    "announce_routed_cases": announce_routed_cases,
}
