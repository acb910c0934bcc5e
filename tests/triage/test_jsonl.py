"""The ``tipline triage`` contract: one output line per input line, errors in place, status 2."""

from __future__ import annotations

import io
import json

from triage import Ruleset
from triage.jsonl import run_jsonl

GOOD = json.dumps(
    {"id": "T1", "received_at": "2026-01-09T20:15:00+00:00", "text": "yamba à Kati ce soir",
     "expected": {"ignored": True}, "channel": "sms"}
)  # fmt: skip


def _run(lines: list[str], ruleset: Ruleset) -> tuple[int, list[dict[str, object]]]:
    out = io.StringIO()
    status = run_jsonl(lines, out, ruleset)
    return status, [json.loads(line) for line in out.getvalue().splitlines()]


def test_valid_lines_give_decisions_and_status_0(ruleset: Ruleset) -> None:
    status, answers = _run([GOOD, GOOD], ruleset)
    assert status == 0
    assert [a["id"] for a in answers] == ["T1", "T1"]
    assert answers[0]["antenna"] == "KKR"


def test_invalid_lines_answer_in_place_and_the_run_goes_on(ruleset: Ruleset) -> None:
    lines = [
        "not json",
        "[1, 2]",
        json.dumps({"text": "yamba"}),
        json.dumps({"text": 3, "received_at": "2026-01-09T20:15:00Z"}),
        json.dumps({"text": "yamba", "received_at": "hier"}),
        "",
        GOOD,
    ]
    status, answers = _run(lines, ruleset)
    assert status == 2
    assert [a.get("line") for a in answers] == [1, 2, 3, 4, 5, 6, None]
    assert all("error" in a for a in answers[:6])
    assert answers[6]["id"] == "T1"


def test_a_time_without_offset_is_taken_as_utc(ruleset: Ruleset) -> None:
    naive = json.dumps(
        {"id": 7, "received_at": "2026-01-12T19:00:00", "text": "yamba à Kati vers 23h"}
    )
    status, answers = _run([naive], ruleset)
    assert status == 0
    assert answers[0]["id"] == 7
    assert answers[0]["flags"] == ["imminent"]


def test_the_form_place_field_is_read(ruleset: Ruleset) -> None:
    line = json.dumps(
        {"id": "W", "received_at": "2026-01-09T20:15:00+00:00", "text": "on vend du rivotril",
         "place": "Koulikoro"}
    )  # fmt: skip
    assert _run([line], ruleset)[1][0]["antenna"] == "KKR"
