"""What ``tipline serve`` and ``tipline worker`` write when they cannot start: JSON lines only,
as everything else they log, so that an operator's log collector reads the incident."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crypto import load_or_create_keyring


def started(command: str, env: dict[str, str]) -> tuple[int, list[dict[str, object]]]:
    """Run the command to its end; its exit status and every line it wrote, each parsed."""
    arguments = ["--port", "9"] if command == "serve" else []
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", command, *arguments],
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [text for text in (done.stdout + done.stderr).splitlines() if text.strip()]
    try:
        return done.returncode, [json.loads(text) for text in lines]
    except json.JSONDecodeError:
        pytest.fail(f"not JSON lines only: {lines}")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"TIPLINE_DATA_DIR": str(tmp_path / "data"), "TIPLINE_REDIS_URL": ""}


def test_settings_refused_before_logging_is_set_up_are_a_json_line_without_the_secret(
    env: dict[str, str],
) -> None:
    env |= {"TIPLINE_ENV": "production", "TIPLINE_TWILIO_AUTH_TOKEN": "changeme"}

    status, lines = started("serve", env | {"TIPLINE_SMS_RATE_LIMIT": "beaucoup"})

    assert status == 2
    [line] = lines
    assert line["event"] == "settings_refused"
    assert line["level"] == "error"
    assert "sms_rate_limit" in str(line["problems"])
    assert "beaucoup" not in json.dumps(line)


def test_a_worker_without_redis_says_so_in_a_json_line(env: dict[str, str]) -> None:
    status, lines = started("worker", env)

    assert status == 2
    assert [line["event"] for line in lines] == ["worker_refused"]


def test_a_crash_at_start_up_is_a_json_line_with_its_traceback(
    env: dict[str, str], tmp_path: Path
) -> None:
    load_or_create_keyring(tmp_path / "keyring.json")
    env |= {"TIPLINE_KEYRING": str(tmp_path / "keyring.json")}

    status, lines = started("serve", env | {"TIPLINE_DATABASE_URL": "nonsense://nowhere"})

    assert status == 1
    [line] = lines
    assert line["event"] == "process_failed"
    assert "Traceback" in str(line["exception"])
