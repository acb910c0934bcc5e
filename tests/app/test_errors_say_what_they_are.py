"""Errors that say what they are (issue 18, item 13): a missing template or file is a fault of
the installation (500, said plainly, logged as such), never reported as a database outage (503,
"try again"); a database that cannot be reached still is."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from jinja2 import TemplateNotFound
from sqlalchemy.exc import OperationalError
from starlette.responses import Response

from service.console.templates import render
from service.core.outage import database_unreachable


@pytest.mark.parametrize(
    ("error", "outage"),
    [
        (TemplateNotFound("console/absent.html"), False),
        (FileNotFoundError(2, "No such file or directory"), False),
        (PermissionError(13, "Permission denied"), False),
        (ConnectionRefusedError(111, "Connection refused"), True),
        (OSError("Multiple exceptions: [Errno 111] Connect call failed"), True),
        (OperationalError("SELECT 1", {}, Exception("server closed the connection")), True),
    ],
)
def test_only_database_errors_are_outages(error: BaseException, outage: bool) -> None:
    assert database_unreachable(error) is outage


def _broken_routes(app: FastAPI, tmp_path: Path) -> None:
    async def missing_template(request: Request) -> Response:
        return render(request, "console/absent.html", {})

    async def missing_file(_request: Request) -> Response:
        return Response((tmp_path / "absent.bin").read_bytes())

    app.add_api_route("/console/essai-gabarit", missing_template)
    app.add_api_route("/essai-fichier", missing_file)


async def test_a_missing_template_or_file_is_told_as_such_not_as_an_outage(
    app: FastAPI, client: httpx.AsyncClient, tmp_path: Path, captured_logs: io.StringIO
) -> None:
    _broken_routes(app, tmp_path)
    start = captured_logs.tell()
    console = await client.get("/console/essai-gabarit", headers={"Accept": "text/html"})
    api = await client.get("/essai-fichier")
    citizen = await client.get("/essai-fichier", headers={"Accept": "text/html"})
    lines = [json.loads(line) for line in captured_logs.getvalue()[start:].splitlines() if line]

    assert console.status_code == api.status_code == citizen.status_code == 500
    assert "Retry-After" not in api.headers
    assert api.json()["error"] == "missing_file"
    assert "base de données" in api.json()["message"]  # "this is not a database outage"
    assert "indisponible" not in console.text
    assert console.headers["content-type"].startswith("text/html")
    assert "Erreur du service" in citizen.text
    events = [line.get("event") for line in lines]
    assert "storage_unavailable" not in events
    assert {"event": "file_missing", "template": "console/absent.html"}.items() <= next(
        line for line in lines if line.get("template")
    ).items()
