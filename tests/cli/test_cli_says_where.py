"""The command line says where things are (issue 18, item 13): run in a folder without data it
names the data directory it expected and ``TIPLINE_DATA_DIR``, not a traceback; ``tipline
serve``'s start-up line gives the URL to open."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.test_cli import free_port, tipline


@pytest.mark.parametrize(
    "command",
    [
        ("users", "create", "--username", "awa", "--role", "admin"),
        ("keys", "rotate"),
        ("audit", "verify"),
    ],
)
def test_a_command_run_where_there_is_no_data_says_where_it_looked(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    env = {"TIPLINE_DATA_DIR": "", "PYTHONPATH": os.getcwd()}
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", *command],
        env={key: value for key, value in (os.environ | env).items() if value},
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(elsewhere / "tipline-data") in result.stderr
    assert "TIPLINE_DATA_DIR" in result.stderr
    assert not (elsewhere / "tipline-data").exists()  # nothing created by mistake


def test_a_command_finds_the_data_named_by_tipline_data_dir(tmp_path: Path) -> None:
    env = {"TIPLINE_DATA_DIR": str(tmp_path / "data")}
    assert tipline("migrate", env=env).returncode == 0
    created = tipline("users", "create", "--username", "awa", "--role", "admin", env=env)
    assert created.returncode == 0, created.stderr


def test_serve_says_the_url_to_open_once_it_listens(tmp_path: Path) -> None:
    port = free_port()
    env = {"TIPLINE_DATA_DIR": str(tmp_path / "data"), "TIPLINE_LOG_FORMAT": "json"}
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        env=os.environ | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    listening = None
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        while listening is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith("{") and json.loads(line).get("event") == "tipline_listening":
                listening = json.loads(line)
    finally:
        process.terminate()
        process.wait(timeout=20)

    assert listening is not None
    assert listening["url"] == f"http://127.0.0.1:{port}"
    assert listening["console"] == f"http://127.0.0.1:{port}/console"
