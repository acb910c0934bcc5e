"""Schemathesis against ``/openapi.json``: every operation, signed in as every role, no 5xx.

Generated requests go to a real uvicorn server over loopback, with a real session cookie and
CSRF header per role, so the fuzzing reaches past authentication into the handlers.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.core.result import Ok
from schemathesis.generation.case import Case

from service.access.csrf import CSRF_HEADER, csrf_token_for
from service.app import create_app
from service.models import Role
from service.settings import Settings
from service.staff.sessions import SESSION_COOKIE
from tests.conftest import make_settings
from tests.support import databases
from tests.support.console import create_staff, free_port, open_session_token

EXAMPLES_PER_OPERATION = 8
# Signing out ends the session the rest of the run needs; it has its own tests.
SKIPPED = {("POST", "/console/deconnexion")}


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[Role, str]]]:
    directory = tmp_path_factory.mktemp("fuzz")
    template = databases.make_sqlite_template(tmp_path_factory.mktemp("fuzz-template"))
    url = databases.sqlite_copy(template, directory)
    port = free_port()
    settings = make_settings(directory, url, public_base_url=f"http://127.0.0.1:{port}")
    tokens = asyncio.run(_sessions(settings))
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield settings.public_base_url, tokens
    server.should_exit = True
    thread.join(30)


async def _sessions(settings: Settings) -> dict[Role, str]:
    from service.antennas.defaults import seed_antennas
    from service.core.db import create_engine, create_sessionmaker, transaction

    engine = create_engine(settings.resolved_database_url, settings)
    async with transaction(create_sessionmaker(engine)) as session:
        await seed_antennas(session=session)
    await engine.dispose()
    tokens = {}
    for role in Role:
        account = await create_staff(settings, role=role)
        tokens[role] = await open_session_token(settings, account)
    return tokens


def fuzz(base_url: str, token: str) -> tuple[list[str], set[int]]:
    """The server errors found, and every status seen (to prove the session got through)."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    headers = {CSRF_HEADER: csrf_token_for(token)}
    cookies = {SESSION_COOKIE: token}
    errors: list[str] = []
    statuses: set[int] = set()
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            errors.append(f"schema: {result.err()}")
            continue
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue

        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case: Case[Any]) -> None:
            response = case.call(base_url=base_url, headers=headers, cookies=cookies)
            statuses.add(response.status_code)
            if response.status_code >= 500:
                errors.append(f"{case.method} {case.formatted_path} -> {response.status_code}")

        call()
    return errors, statuses


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
def test_no_api_operation_answers_5xx(fuzz_target: tuple[str, dict[Role, str]], role: Role) -> None:
    base_url, tokens = fuzz_target

    errors, statuses = fuzz(base_url, tokens[role])

    assert errors == []
    assert 200 in statuses  # signed in: at least /api/v1/me answered
