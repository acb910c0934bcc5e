"""The names of the background jobs, as the outbox stores them and the queues run them.

Domain modules write outbox entries by these names; ``service.jobs`` maps each to its function
and options. arq stores the name, not a module path, so queued jobs survive code moves.
"""

from __future__ import annotations

from enum import StrEnum


class JobName(StrEnum):
    TRIAGE_TIP = "triage_tip"
    TRIAGE_BUNDLED = "triage_bundled"
    RELAY_OUTBOX = "relay_outbox"
    PURGE_OUTBOX = "purge_outbox"
    APPLY_RETENTION = "apply_retention"
    SEND_REPLY = "send_reply"
    ERASE_REPLY = "erase_reply"
    FETCH_MEDIA = "fetch_media"
    FETCH_RECORDING = "fetch_recording"
    ERASE_MESSAGE = "erase_message"  # one text: queued by earlier versions
    ERASE_MESSAGES = "erase_messages"
    PURGE_TWILIO = "purge_twilio"
    ALERT_ANTENNA_CHIEFS = "alert_antenna_chiefs"
    ESCALATE_OVERDUE_CASES = "escalate_overdue_cases"
    ANNOUNCE_ROUTED_CASES = "announce_routed_cases"
    RELEASE_STALE_JOBS = "release_stale_jobs"
