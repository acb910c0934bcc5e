"""Log lines: numbers masked by the last line of defence, the timestamp left readable."""

from __future__ import annotations

import io
import json
import re

import structlog


def test_a_phone_number_is_masked_and_the_timestamp_is_kept(captured_logs: io.StringIO) -> None:
    start = captured_logs.tell()

    structlog.get_logger("test").info("oops", detail="appel du +223 76 12 34 56")

    line = json.loads(captured_logs.getvalue()[start:])
    assert "76 12 34 56" not in line["detail"]
    assert "[masqué]" in line["detail"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z", line["timestamp"])
