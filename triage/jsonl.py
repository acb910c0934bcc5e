"""``tipline triage``: JSON Lines tips in, one JSON line per input line out (triage.md).

Input lines are objects with ``text`` (a string) and ``received_at`` (ISO 8601; a time without
an offset is taken as UTC, Mali's time); ``id``, ``channel`` and ``place`` are optional and any
other key (such as ``expected``) is ignored. A line that is not a valid tip, a blank line
included, gives ``{"line": N, "error": "..."}`` in its place, so output line N always answers
input line N; the exit status is then 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

from triage.decision import TipText
from triage.engine import decide
from triage.ruleset import Ruleset


class _InvalidTip(ValueError):
    pass


def run_jsonl(lines: Iterable[str], out: TextIO, ruleset: Ruleset) -> int:
    invalid = False
    for number, line in enumerate(lines, start=1):
        try:
            tip_id, tip = parse_tip(line)
        except _InvalidTip as exc:
            invalid = True
            answer: dict[str, object] = {"line": number, "error": str(exc)}
        else:
            answer = {"id": tip_id, **decide(tip, ruleset).to_public_dict()}
        out.write(json.dumps(answer, ensure_ascii=False) + "\n")
    return 2 if invalid else 0


def parse_tip(line: str) -> tuple[object, TipText]:
    """The tip's id (as given, or None) and the tip; _InvalidTip says what is wrong."""
    if not line.strip():
        raise _InvalidTip("blank line")
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _InvalidTip(f"not JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(record, dict):
        raise _InvalidTip("not a JSON object")
    tip_id = record.get("id")
    if tip_id is not None and not isinstance(tip_id, str | int):
        raise _InvalidTip("id must be a string or a number")
    return tip_id, TipText(
        text=_text(record, "text", required=True) or "",
        received_at=_received_at(record.get("received_at")),
        channel=_text(record, "channel", required=False) or "sms",
        place=_text(record, "place", required=False),
    )


def _text(record: dict[str, object], key: str, *, required: bool) -> str | None:
    value = record.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise _InvalidTip(f"{key} must be a string")
    return value


def _received_at(value: object) -> datetime:
    if not isinstance(value, str):
        raise _InvalidTip("received_at must be an ISO 8601 date and time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _InvalidTip(f"received_at is not ISO 8601: {value!r}") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
