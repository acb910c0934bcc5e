"""Smaller holes: the webhook's AccountSid, HSTS on every page, a log scrubber that masks phone
numbers and nothing else."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import structlog
from fastapi import FastAPI

from tests.channels.test_hotline_voice import RECORDING, recording_callback_form
from tests.conftest import make_settings
from tests.support.app import http_client, running_app
from tests.support.inspect import count_rows
from tests.support.twilio import signature, sms_form

SMS_PATH = "/channels/sms/twilio"
OTHER_ACCOUNT = "AC" + "f" * 32
HSTS = "max-age=31536000; includeSubDomains"


async def post_signed(client: httpx.AsyncClient, path: str, form: dict[str, str]) -> httpx.Response:
    return await client.post(path, data=form, headers={"X-Twilio-Signature": signature(path, form)})


# ---------------------------------------------------------------- AccountSid


@pytest.mark.parametrize("account", [OTHER_ACCOUNT, None])
async def test_a_webhook_naming_another_account_is_refused(
    client: httpx.AsyncClient, database_url: str, account: str | None
) -> None:
    form = sms_form(sender="+22376000111", body="yamba à Banconi")
    if account is None:
        del form["AccountSid"]
    else:
        form["AccountSid"] = account

    response = await post_signed(client, SMS_PATH, form)

    assert response.status_code == 403
    assert await count_rows(database_url, "tips") == 0


async def test_a_recording_callback_naming_another_account_is_refused(
    client: httpx.AsyncClient, database_url: str
) -> None:
    form = recording_callback_form("CA" + "1" * 32, "RE" + "1" * 32)
    form["AccountSid"] = OTHER_ACCOUNT

    response = await post_signed(client, RECORDING, form)

    assert response.status_code == 403
    assert await count_rows(database_url, "messages") == 0


async def test_a_webhook_of_our_account_is_taken(client: httpx.AsyncClient) -> None:
    form = sms_form(sender="+22376000222", body="yamba à Banconi")

    assert (await post_signed(client, SMS_PATH, form)).status_code == 200


# ---------------------------------------------------------------- HSTS


EVERY_KIND_OF_PAGE = ["/", "/suivi", "/healthz", "/readyz", "/console/connexion", "/absent"]


async def test_every_page_carries_hsts_when_the_public_url_is_https(
    client: httpx.AsyncClient,
) -> None:
    answers = [await client.get(path) for path in EVERY_KIND_OF_PAGE]
    answers.append(await client.post(SMS_PATH, data={"Body": "x"}))  # refused webhook: 403
    answers.append(await client.post("/", content=b"x" * (10 * 1024 * 1024)))  # too large: 413

    assert {answer.headers.get("Strict-Transport-Security") for answer in answers} == {HSTS}
    assert {answer.status_code for answer in answers} >= {200, 403, 404, 413}


async def test_no_hsts_over_plain_http(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url, public_base_url="http://127.0.0.1:8000")
    async with running_app(settings) as application, http_client(application) as client:
        answers = [await client.get(path) for path in EVERY_KIND_OF_PAGE]

    assert not any("Strict-Transport-Security" in answer.headers for answer in answers)


# ---------------------------------------------------------------- the log scrubber


def logged(captured: io.StringIO, start: int) -> list[dict[str, object]]:
    return [json.loads(line) for line in captured.getvalue()[start:].splitlines()]


async def test_request_ids_are_logged_whole(
    app: FastAPI, client: httpx.AsyncClient, captured_logs: io.StringIO
) -> None:
    start = captured_logs.tell()

    answers = [await client.get("/console/connexion") for _ in range(500)]

    given = [answer.headers["X-Request-Id"] for answer in answers]
    lines = [line for line in logged(captured_logs, start) if line["event"] == "request"]
    assert [line["request_id"] for line in lines] == given
    assert not any("masqué" in str(line) for line in lines)


@pytest.mark.parametrize(
    "number",
    [
        "+223 76 12 34 56",
        "+22376123456",
        "0022376123456",
        "76123456",
        "76 12 34 56",
        "76-12-34-56",
        "76.12.34.56",
        "whatsapp:+22376123456",
        "From=%2B22376123456&Body=x",
    ],
)
def test_a_phone_number_in_any_shape_is_masked(captured_logs: io.StringIO, number: str) -> None:
    start = captured_logs.tell()

    structlog.get_logger("test").warning("oops", detail=f"reçu de {number}.")

    [line] = logged(captured_logs, start)
    digits = "".join(ch for ch in number if ch.isdigit())
    assert digits[-8:] not in "".join(ch for ch in str(line["detail"]) if ch.isdigit())
    assert "[masqué]" in str(line["detail"])


def test_job_ids_addresses_and_references_are_kept(captured_logs: io.StringIO) -> None:
    kept = {
        "job_id": f"triage_tip:{uuid.uuid4()}:{uuid.uuid4()}",
        "job_key": f"erase_message:{uuid.uuid4()}",
        "hex": uuid.uuid4().hex,
        "url": "http://127.0.0.1:8000/healthz",
        "reference": "OCS-7Q4K-12H9",
        "at": "2026-12-06 00:41:09",
    }
    start = captured_logs.tell()

    structlog.get_logger("test").warning("ids", **kept)

    [line] = logged(captured_logs, start)
    assert {key: line[key] for key in kept} == kept


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_start_up_line_of_a_real_server_names_its_url(tmp_path: Path) -> None:
    port = _free_port()
    env = os.environ | {"TIPLINE_DATA_DIR": str(tmp_path / "data"), "TIPLINE_LOG_FORMAT": "json"}
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]

    assert f"Uvicorn running on http://127.0.0.1:{port}" in output
    assert "masqué" not in output
