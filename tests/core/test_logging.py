"""Log lines: numbers masked by the last line of defence, the timestamp left readable."""

from __future__ import annotations

import io
import json
import logging
import re

import httpx
import structlog

from service.core.logging import configure_logging
from tests.support.twilio import signature, sms_form

PATH = "/channels/sms/twilio"


def test_a_phone_number_is_masked_and_the_timestamp_is_kept(captured_logs: io.StringIO) -> None:
    start = captured_logs.tell()

    structlog.get_logger("test").info("oops", detail="appel du +223 76 12 34 56")

    line = json.loads(captured_logs.getvalue()[start:])
    assert "76 12 34 56" not in line["detail"]
    assert "[masqué]" in line["detail"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z", line["timestamp"])


async def test_the_request_log_keeps_refusals_of_webhooks_and_every_console_request(
    client: httpx.AsyncClient, captured_logs: io.StringIO
) -> None:
    start = captured_logs.tell()
    form = sms_form(sender="+22376543210", body="yamba bɛ feere Banconi")
    accepted = await client.post(
        PATH, data=form, headers={"X-Twilio-Signature": signature(PATH, form)}
    )
    refused = await client.post(PATH, data=form, headers={"X-Twilio-Signature": "forged"})
    console = await client.get("/console/connexion")

    lines = [json.loads(line) for line in captured_logs.getvalue()[start:].splitlines()]
    requests = {
        (line["path"], line["status"], line["level"])
        for line in lines
        if line["event"] == "request"
    }
    assert (accepted.status_code, refused.status_code, console.status_code) == (200, 403, 200)
    assert requests == {
        (PATH, 200, "debug"),  # hundreds a second at the peak: counted by the metrics
        (PATH, 403, "info"),
        ("/console/connexion", 200, "info"),
    }
    assert all(line["request_id"] for line in lines if line["event"] == "request")


def test_arq_job_lines_are_kept_for_debug_only() -> None:
    root = logging.getLogger()
    kept_handlers, kept_level = root.handlers[:], root.level  # the suite's log capture
    stream = io.StringIO()
    arq = logging.getLogger("arq.worker")
    try:
        for level in ("INFO", "DEBUG"):
            configure_logging(level=level, json=True, stream=stream)
            arq.info("%6.2fs → %s(%s)%s", 0.01, "triage_tip:1", "", "")
            arq.warning("%6.2fs ! %s max retries %d exceeded", 0.01, "triage_tip:2", 5)
    finally:
        root.handlers[:], root.level = kept_handlers, kept_level
        arq.filters.clear()

    events = [json.loads(line)["event"] for line in stream.getvalue().splitlines()]
    assert events == [
        "  0.01s ! triage_tip:2 max retries 5 exceeded",  # INFO: the job line is dropped
        "  0.01s → triage_tip:1()",  # DEBUG: both
        "  0.01s ! triage_tip:2 max retries 5 exceeded",
    ]
