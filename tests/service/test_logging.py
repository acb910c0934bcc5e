"""Log lines: numbers masked by the last line of defence, the timestamp left readable."""

from __future__ import annotations

import io
import json
import logging
import re

import structlog

from service.logging import configure_logging


def test_a_phone_number_is_masked_and_the_timestamp_is_kept() -> None:
    stream = io.StringIO()
    configure_logging(level="INFO", json=True, stream=stream)
    try:
        structlog.get_logger("test").info("oops", detail="appel du +223 76 12 34 56")
    finally:
        logging.getLogger().handlers.clear()

    line = json.loads(stream.getvalue())
    assert "76 12 34 56" not in line["detail"]
    assert "[masqué]" in line["detail"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z", line["timestamp"])
