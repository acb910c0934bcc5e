"""No public timing oracle or map: in production the API's port serves neither metrics nor the
API's description to the public; metrics are on an internal listener, the description is for
signed-in staff. Development keeps them open."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.models import Role
from tests.conftest import make_settings
from tests.support.app import http_client, running_app
from tests.support.console import create_staff, session_client

MAP = ["/docs", "/redoc", "/openapi.json"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def production_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A real ``tipline serve`` in production: (its public base, its internal metrics base)."""
    port, metrics_port = free_port(), free_port()
    env = os.environ | {
        "TIPLINE_ENV": "production",
        "TIPLINE_DATA_DIR": str(tmp_path / "data"),
        "TIPLINE_PUBLIC_BASE_URL": "https://signalement.example.org",
        "TIPLINE_API_METRICS_PORT": str(metrics_port),
        "TIPLINE_LOG_FORMAT": "json",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        env=env,
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
    try:
        yield base, f"http://127.0.0.1:{metrics_port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_production_serves_metrics_inside_and_no_map_outside(
    production_server: tuple[str, str],
) -> None:
    public, internal = production_server

    outside = {path: httpx.get(public + path, timeout=5) for path in ["/metrics", *MAP]}
    inside = httpx.get(f"{internal}/metrics", timeout=5)

    assert {path: answer.status_code for path, answer in outside.items()} == {
        "/metrics": 404,
        "/docs": 401,
        "/redoc": 401,
        "/openapi.json": 401,
    }
    assert not any("/api/v1" in answer.text for answer in outside.values())
    assert inside.status_code == 200
    assert "tipline_queue_depth" in inside.text


async def test_signed_in_staff_read_the_api_description_in_production(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, env="production", api_metrics_port=0)
    async with running_app(settings) as application:
        account = await create_staff(settings, role=Role.AUDITOR)
        async with session_client(application, settings, account) as staff:
            described = await staff.get("/openapi.json")
            pages = [await staff.get(path) for path in ("/docs", "/redoc")]
        async with http_client(application) as anyone:
            refused = [await anyone.get(path) for path in MAP]
            metrics = await anyone.get("/metrics")

    assert described.status_code == 200
    assert "/api/v1/me" in described.json()["paths"]
    assert [page.status_code for page in pages] == [200, 200]
    assert [answer.status_code for answer in refused] == [401, 401, 401]
    assert metrics.status_code == 404


async def test_development_keeps_metrics_and_the_description_open(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, env="development")
    async with running_app(settings) as application, http_client(application) as anyone:
        answers = [await anyone.get(path) for path in ["/metrics", *MAP]]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 200]
