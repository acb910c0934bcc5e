"""arq options of the channel jobs (issue 4), merged into the worker's per-job options."""

from __future__ import annotations

from typing import Any

from service.jobs.bundling import BUNDLE_MAX_TRIES
from service.jobs.media import FETCH_MEDIA_MAX_TRIES
from service.jobs.outbound import ERASE_REPLY_MAX_TRIES, SEND_REPLY_MAX_TRIES
from service.jobs.recordings import FETCH_RECORDING_MAX_TRIES

# The jobs count their own tries (ctx["job_try"]) to stop retrying at these same limits.
CHANNEL_JOB_OPTIONS: dict[str, dict[str, Any]] = {
    "triage_bundled": {"timeout": 60, "max_tries": BUNDLE_MAX_TRIES},
    "send_reply": {"timeout": 60, "max_tries": SEND_REPLY_MAX_TRIES},
    "erase_reply": {"timeout": 60, "max_tries": ERASE_REPLY_MAX_TRIES},
    "fetch_media": {"timeout": 300, "max_tries": FETCH_MEDIA_MAX_TRIES},
    "fetch_recording": {"timeout": 300, "max_tries": FETCH_RECORDING_MAX_TRIES},
}
