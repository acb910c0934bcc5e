"""The ``tipline`` command line, run as a user runs it: a real process on a fresh data directory."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.models import Role
from tests.support.inspect import count_rows
from triage.ruleset import default_paths


def tipline(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        env=os.environ | env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def fresh_env(tmp_path: Path) -> dict[str, str]:
    return {"TIPLINE_DATA_DIR": str(tmp_path / "data"), "TIPLINE_LOG_FORMAT": "json"}


@pytest.fixture
def served(fresh_env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        env=os.environ | fresh_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"tipline serve did not start: {process.communicate()[0]}")
    yield base, process
    process.terminate()
    process.wait(timeout=20)


def test_first_serve_creates_data_keyring_schema_and_antennas(
    served: tuple[str, subprocess.Popen[str]], fresh_env: dict[str, str]
) -> None:
    base, process = served
    data = Path(fresh_env["TIPLINE_DATA_DIR"])

    ready = httpx.get(f"{base}/readyz", timeout=5)

    assert ready.json() == {"status": "ready", "checks": {"database": True, "queue": True}}
    assert stat.S_IMODE((data / "keyring.json").stat().st_mode) == 0o600
    assert (data / "tipline.db").exists()
    process.terminate()
    output = process.communicate(timeout=20)[0]
    assert "tipline users create --username admin --role admin" in output
    antennas = asyncio.run(count_rows(f"sqlite+aiosqlite:///{data / 'tipline.db'}", "antennas"))
    assert antennas == 14


def test_users_create_prints_a_one_time_password_and_refuses_bad_roles(
    fresh_env: dict[str, str],
) -> None:
    assert tipline("migrate", env=fresh_env).returncode == 0

    created = tipline("users", "create", "--username", "awa", "--role", "admin", env=fresh_env)
    chief = tipline(
        "users",
        "create",
        "--username",
        "sidi",
        "--role",
        "antenna_chief",
        "--antenna",
        "SIK",
        env=fresh_env,
    )
    unknown_role = tipline("users", "create", "--username", "x", "--role", "chef", env=fresh_env)
    chief_without_antenna = tipline(
        "users", "create", "--username", "y", "--role", "antenna_chief", env=fresh_env
    )

    assert created.returncode == 0
    assert "Mot de passe à usage unique" in created.stdout
    password = created.stdout.split("Mot de passe à usage unique : ")[1].split()[0]
    assert re.fullmatch(r"[2-9A-HJKMNP-TV-Z]{4}(-[2-9A-HJKMNP-TV-Z]{4}){3}", password)
    assert chief.returncode == 0
    assert unknown_role.returncode == 2
    assert chief_without_antenna.returncode == 2


def test_users_create_help_lists_every_role(fresh_env: dict[str, str]) -> None:
    shown = tipline("users", "create", "--help", env=fresh_env)

    assert shown.returncode == 0
    flat = " ".join(shown.stdout.replace("│", " ").split())
    for role in Role:
        assert role.value in flat


def test_triage_command_reads_json_lines_and_flags_invalid_lines(fresh_env: dict[str, str]) -> None:
    lines = "\n".join(
        [
            json.dumps(
                {
                    "id": "A",
                    "channel": "sms",
                    "received_at": "2026-01-09T20:15:00+00:00",
                    "text": "yamba bɛ feere Kalaban Coura bi su",
                }
            ),
            "not json",
        ]
    )

    result = tipline("triage", env=fresh_env, stdin=lines + "\n")

    assert result.returncode == 2
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["id"] == "A"
    assert first["antenna"] == "BKO-RD"
    assert second["line"] == 2
    assert "error" in second


def test_rules_check_prints_the_version_and_fails_on_a_broken_file(
    fresh_env: dict[str, str], tmp_path: Path
) -> None:
    broken = tmp_path / "rules.yaml"
    broken.write_text("rules:\n  - id: [unclosed\n", encoding="utf-8")

    good = tipline("rules", "check", env=fresh_env)
    bad = tipline("rules", "check", str(broken), env=fresh_env)

    assert good.returncode == 0
    assert good.stdout.startswith("OK ")
    assert bad.returncode != 0
    assert "rules.yaml:3:" in bad.stderr  # the file and the line of the problem


def test_rules_check_shows_what_an_edit_changes_on_the_real_world_corpus(
    fresh_env: dict[str, str], tmp_path: Path
) -> None:
    rules, _ = default_paths()
    edited = tmp_path / "rules.yaml"
    # An administrator drops the commonest street name of cannabis.
    edited.write_text(
        rules.read_text(encoding="utf-8").replace("words: [yamba, yambas,", "words: ["),
        encoding="utf-8",
    )

    unchanged = tipline("rules", "check", str(rules), env=fresh_env)
    worse = tipline("rules", "check", str(edited), env=fresh_env)

    assert unchanged.returncode == worse.returncode == 0
    assert "+0.000" in unchanged.stdout
    assert "broken:" not in unchanged.stdout
    substances = next(line for line in worse.stdout.splitlines() if line.startswith("substances"))
    assert float(substances.split()[-1]) < 0
    assert "broken:" in worse.stdout


def test_production_refuses_placeholder_secrets(fresh_env: dict[str, str]) -> None:
    env = fresh_env | {
        "TIPLINE_ENV": "production",
        "TIPLINE_PUBLIC_BASE_URL": "https://ocs.example.ml",
        "TIPLINE_TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TIPLINE_TWILIO_AUTH_TOKEN": "changeme",
    }

    result = tipline("migrate", env=env)

    assert result.returncode != 0
    assert "placeholder" in result.stderr
