"""Limits hold under parallel requests and across processes.

Sign-in, second factor, password change and ``/suivi`` attempts are counted before they are
checked, atomically: sixty requests at once check at most the limit, on one ``tipline serve``
or on two sharing PostgreSQL and Redis. Unknown usernames answer like known ones. A third party
cannot keep a reference's owner out of ``/suivi``. Embedded SQLite answers no 5xx under a burst.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from crypto import new_reference
from service.models import AuditEntry, Role, StaffUser
from service.settings import Settings
from tests.channels.test_web_followup import file_report, open_mailbox
from tests.conftest import make_settings
from tests.reliability.harness import ServerProcess
from tests.support.app import running_app
from tests.support.console import (
    StaffAccount,
    create_staff,
    form_csrf_token,
    meta_csrf_token,
    sign_in,
)
from tests.support.inspect import fetch_all
from tests.support.twilio import PUBLIC_BASE_URL

PARALLEL = 60
_DIGITS = re.compile(r"\d+")


async def _attempt(base_url: str, username: str, password: str) -> httpx.Response:
    """One browser: the sign-in page, then the form, on a connection of its own."""
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
        page = await http.get("/console/connexion")
        return await http.post(
            "/console/connexion",
            data={
                "csrf_token": form_csrf_token(page.text),
                "username": username,
                "password": password,
            },
        )


async def _burst(base_urls: Sequence[str], username: str) -> list[int]:
    """``PARALLEL`` wrong passwords at once, spread over the given processes."""
    responses = await asyncio.gather(
        *(
            _attempt(base_urls[number % len(base_urls)], username, f"mauvais-{number}")
            for number in range(PARALLEL)
        )
    )
    return [response.status_code for response in responses]


async def _failures_recorded(settings: Settings) -> int:
    entries: list[AuditEntry] = await fetch_all(
        settings.resolved_database_url,
        select(AuditEntry).where(col(AuditEntry.action) == "sign_in_failed"),
    )
    return len(entries)


# Plain HTTP on the loopback: the console's cookies are not marked Secure.
_LOOPBACK = "http://127.0.0.1"


@pytest.fixture
async def server(settings: Settings, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    logs = tmp_path / "logs"
    logs.mkdir()
    process = ServerProcess(settings.model_copy(update={"public_base_url": _LOOPBACK}), logs)
    await process.ready()
    try:
        yield process
    finally:
        process.stop()


async def test_sixty_parallel_wrong_passwords_check_at_most_the_limit_and_no_5xx(
    settings: Settings, server: ServerProcess
) -> None:
    account = await create_staff(settings, role=Role.SUPERVISOR)

    statuses = await _burst([server.url], account.username)

    assert not [status for status in statuses if status >= 500], _logs([server])
    assert set(statuses) <= {401, 429}
    checked = statuses.count(401)
    assert 1 <= checked <= settings.console_sign_in_delay_after
    assert await _failures_recorded(settings) == checked
    users: list[StaffUser] = await fetch_all(
        settings.resolved_database_url,
        select(StaffUser).where(col(StaffUser.id) == account.id),
    )
    assert users[0].failed_sign_ins == checked


@pytest.fixture
async def two_servers(
    tmp_path: Path, postgres_url: str | None, redis_url: str
) -> AsyncIterator[tuple[Settings, list[ServerProcess]]]:
    if postgres_url is None:
        pytest.skip("TIPLINE_TEST_DATABASE_URL is not set (outside CI)")
    from tests.support import databases

    await databases.empty_database(postgres_url)
    settings = make_settings(tmp_path, postgres_url, redis_url=redis_url, public_base_url=_LOOPBACK)
    servers = []
    for number in range(2):
        logs = tmp_path / f"logs-{number}"
        logs.mkdir()
        servers.append(ServerProcess(settings, logs))
    try:
        for process in servers:
            await process.ready()
        yield settings, servers
    finally:
        for process in servers:
            process.stop()


async def test_the_limits_hold_across_two_api_processes(
    two_servers: tuple[Settings, list[ServerProcess]],
) -> None:
    settings, servers = two_servers
    account = await create_staff(settings, role=Role.ADMIN)
    urls = [process.url for process in servers]

    known = await _burst(urls, account.username)

    assert not [status for status in known if status >= 500], _logs(servers)
    assert 1 <= known.count(401) <= settings.console_sign_in_delay_after


async def test_the_limits_hold_across_two_api_processes_for_an_unknown_username(
    two_servers: tuple[Settings, list[ServerProcess]],
) -> None:
    # Apart from the known account's burst: both come from one loopback client, whose own
    # limit the first burst already spends across the two processes.
    settings, servers = two_servers
    urls = [process.url for process in servers]

    unknown = await _burst(urls, "personne-de-ce-nom")

    assert not [status for status in unknown if status >= 500], _logs(servers)
    assert 1 <= unknown.count(401) <= settings.console_sign_in_delay_after


def _logs(servers: Sequence[ServerProcess]) -> str:
    """What the processes logged: on a failure, the cause of a 5xx (an error's type, never data)."""
    return "\n".join(process.logged_text()[-4000:] for process in servers)


def _shape(response: httpx.Response) -> tuple[int, str]:
    """What the page says, without its tokens and figures (the seconds left differ)."""
    text = re.sub(r'(value|content)="[^"]*"', "", response.text)
    return response.status_code, _DIGITS.sub("N", text)


async def test_unknown_and_known_usernames_get_the_same_answers_and_timing(
    app: FastAPI, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.DUTY_OFFICER)

    async def attempts(username: str, client: str) -> tuple[list[tuple[int, str]], float]:
        transport = httpx.ASGITransport(app=app, client=(client, 40000))
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_BASE_URL) as http:
            shapes, started = [], time.perf_counter()
            for _ in range(5):
                page = await http.get("/console/connexion")
                response = await http.post(
                    "/console/connexion",
                    data={
                        "csrf_token": form_csrf_token(page.text),
                        "username": username,
                        "password": "pas le bon",
                    },
                )
                shapes.append(_shape(response))
            return shapes, time.perf_counter() - started

    known, known_seconds = await attempts(account.username, "10.1.0.1")
    unknown, unknown_seconds = await attempts("agent-inconnu", "10.1.0.2")

    assert [status for status, _ in known] == [401, 401, 401, 429, 429]
    assert known == unknown
    assert 1 / 3 < known_seconds / unknown_seconds < 3


async def test_parallel_wrong_codes_check_at_most_the_limit(
    app: FastAPI, settings: Settings
) -> None:
    account = await create_staff(settings, role=Role.DUTY_OFFICER)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_BASE_URL) as http:
        page = await http.get("/console/connexion")
        response = await http.post(
            "/console/connexion",
            data={
                "csrf_token": form_csrf_token(page.text),
                "username": account.username,
                "password": account.password,
            },
        )
        assert response.headers["location"].endswith("/connexion/code")
        code_page = await http.get("/console/connexion/code")
        token = form_csrf_token(code_page.text)
        responses = await asyncio.gather(
            *(
                http.post("/console/connexion/code", data={"csrf_token": token, "code": "000000"})
                for _ in range(PARALLEL)
            )
        )

    statuses = [response.status_code for response in responses]
    assert not [status for status in statuses if status >= 500]
    assert 1 <= statuses.count(401) <= settings.console_sign_in_delay_after


async def test_the_password_change_page_counts_wrong_current_passwords(
    app: FastAPI, settings: Settings
) -> None:
    account: StaffAccount = await create_staff(settings, role=Role.AUDITOR)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_BASE_URL) as http:
        await sign_in(http, account)
        page = await http.get("/console/mot-de-passe")
        token = meta_csrf_token(page.text)
        statuses = []
        for number in range(5):
            response = await http.post(
                "/console/mot-de-passe",
                data={
                    "csrf_token": token,
                    "current_password": f"devine-{number}",
                    "new_password": "une nouvelle phrase 2026",
                    "confirmation": "une nouvelle phrase 2026",
                },
            )
            statuses.append(response.status_code)

    assert statuses == [422, 422, 422, 429, 429]


async def test_a_third_party_cannot_keep_a_references_owner_out(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        followup_failure_delay_seconds=0.01,
        followup_reference_delay_seconds=0.5,
        followup_reference_max_delay_seconds=1.0,
    )
    async with running_app(settings) as application:

        def browser(address: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=application, client=(address, 40123))
            return httpx.AsyncClient(transport=transport, base_url=PUBLIC_BASE_URL)

        async with browser("10.2.0.1") as owner, browser("10.2.0.2") as intruder:
            reference, code = await file_report(owner)
            hammered = [await open_mailbox(intruder, reference, "2222-2222") for _ in range(15)]
            await asyncio.sleep(1.1)
            opened = await open_mailbox(owner, reference, code)

    assert {answer.status_code for answer in hammered} == {403, 429}
    assert opened.status_code == 200
    assert reference in opened.text


async def test_parallel_wrong_codes_on_one_reference_check_at_most_the_limit(
    app: FastAPI, settings: Settings
) -> None:
    async def guess(number: int, reference: str) -> int:
        transport = httpx.ASGITransport(app=app, client=(f"10.3.0.{number}", 40123))
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_BASE_URL) as http:
            return (await open_mailbox(http, reference, "2222-2222")).status_code

    reference = new_reference()
    statuses = await asyncio.gather(*(guess(number, reference) for number in range(PARALLEL)))

    assert set(statuses) <= {403, 429}
    assert 1 <= statuses.count(403) <= settings.followup_max_failures_per_reference
