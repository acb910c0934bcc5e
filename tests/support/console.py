"""Staff accounts, signed-in HTTP clients and a real browser for console tests.

``create_staff`` makes an account of a role with a known password and TOTP secret.
``signed_in_client`` signs it in through the real pages (password, TOTP code or enrolment,
forced password change) and yields an httpx client carrying the session cookie and, as the
default ``X-CSRF-Token`` header, the session's CSRF token — so forms and API calls just work.
``session_client`` skips the pages (a session row made directly) for tests that need many.
``live_server`` runs the app under uvicorn on a free port; ``chromium`` launches Debian's
chromium through Playwright; ``browser_sign_in`` signs an account in through the pages.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import re
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pyotp
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

from crypto import load_keyring
from service.access.csrf import CSRF_HEADER, csrf_token_for
from service.app import create_app
from service.core.db import create_engine, create_sessionmaker, transaction
from service.models import Role, SessionStage, StaffUser
from service.settings import Settings
from service.staff import totp
from service.staff.accounts import password_hasher
from service.staff.sessions import SESSION_COOKIE, open_session
from tests.support.app import http_client

DEFAULT_PASSWORD = "phrase de passe du test 2026"
NEW_PASSWORD = "nouvelle phrase de passe 2026"
_numbers = itertools.count(1)
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_SECRET = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')


@dataclass
class StaffAccount:
    id: uuid.UUID
    username: str
    role: Role
    antenna: str | None
    password: str
    totp_secret: str | None
    last_step: int = -1  # the last TOTP step this helper used (the server refuses replays)

    def next_code(self) -> str:
        """A code the server has not seen yet: this step's, or the next one's."""
        assert self.totp_secret is not None, "enrol first"
        authenticator = pyotp.TOTP(self.totp_secret)
        step = authenticator.timecode(_now())
        if step <= self.last_step:
            step = self.last_step + 1
        if step > authenticator.timecode(_now()) + 1:  # two sign-ins already this window
            time.sleep(30 - time.time() % 30 + 0.5)
            step = authenticator.timecode(_now())
        self.last_step = step
        return authenticator.generate_otp(step)


def _now() -> datetime:
    return datetime.now(UTC)


@functools.cache
def _hash_of(password: str) -> str:
    """Argon2id as production hashes it, once per password per test process: hashing is slow on
    purpose (a fifth of a second here) and hundreds of tests create accounts. Signing in still
    verifies the real hash."""
    return password_hasher.hash(password)


async def create_staff(
    settings: Settings,
    *,
    role: Role,
    antenna: str | None = None,
    username: str | None = None,
    password: str = DEFAULT_PASSWORD,
    enrolled: bool = True,
    must_change_password: bool = False,
) -> StaffAccount:
    """An account as ``tipline users create`` makes it, optionally already enrolled in TOTP."""
    if role is Role.ANTENNA_CHIEF and antenna is None:
        antenna = "BKO-RD"
    name = username or f"{role.value.replace('_', '-')}-{next(_numbers)}"
    user = StaffUser(
        username=name,
        role=role,
        antenna_code=antenna,
        password_hash=_hash_of(password),
        must_change_password=must_change_password,
    )
    secret = totp.new_totp_secret() if enrolled else None
    if secret is not None:
        keyring = load_keyring(settings.resolved_keyring_path)
        context = totp.totp_context(user.id)
        user.totp_secret_ciphertext = totp.seal_secret(keyring, secret, context=context)
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            session.add(user)
    finally:
        await engine.dispose()
    return StaffAccount(user.id, name, role, antenna, password, secret)


async def sign_in(http: httpx.AsyncClient, account: StaffAccount) -> None:
    """Through the real pages, whatever the account's state; sets the client's CSRF header."""
    page = await http.get("/console/connexion")
    response = await http.post(
        "/console/connexion",
        data={
            "csrf_token": form_csrf_token(page.text),
            "username": account.username,
            "password": account.password,
        },
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    if location.endswith("/enrolement"):
        location = await _enrol(http, account)
    elif location.endswith("/connexion/code"):
        location = await _submit_code(http, "/console/connexion/code", account)
    if location.endswith("/mot-de-passe"):
        location = await _change_password(http, account)
    assert location == "/console", location
    home = await http.get("/console")
    assert home.status_code == 200, home.text
    http.headers[CSRF_HEADER] = meta_csrf_token(home.text)


@asynccontextmanager
async def signed_in_client(app: FastAPI, account: StaffAccount) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as http:
        await sign_in(http, account)
        yield http


async def open_session_token(settings: Settings, account: StaffAccount) -> str:
    """A fully signed-in session made directly in the database (no pages, no Argon2)."""
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            _row, token = await open_session(
                session=session, user_id=account.id, stage=SessionStage.ACTIVE
            )
    finally:
        await engine.dispose()
    return token


@asynccontextmanager
async def session_client(
    app: FastAPI, settings: Settings, account: StaffAccount
) -> AsyncIterator[httpx.AsyncClient]:
    token = await open_session_token(settings, account)
    async with http_client(app) as http:
        use_session(http, token)
        yield http


def use_session(http: httpx.AsyncClient, token: str) -> None:
    http.cookies.set(SESSION_COOKIE, token)
    http.headers[CSRF_HEADER] = csrf_token_for(token)


def form_csrf_token(html: str) -> str:
    match = _CSRF_FIELD.search(html)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def meta_csrf_token(html: str) -> str:
    match = _CSRF_META.search(html)
    assert match, "no csrf-token meta on the page"
    return match.group(1)


async def _enrol(http: httpx.AsyncClient, account: StaffAccount) -> str:
    page = await http.get("/console/connexion/enrolement")
    match = _SECRET.search(page.text)
    assert match, page.text
    account.totp_secret = match.group(1).replace(" ", "")
    account.last_step = -1
    return await _submit_code(http, "/console/connexion/enrolement", account, page=page)


async def _submit_code(
    http: httpx.AsyncClient,
    path: str,
    account: StaffAccount,
    page: httpx.Response | None = None,
) -> str:
    page = page or await http.get(path)
    response = await http.post(
        path, data={"csrf_token": form_csrf_token(page.text), "code": account.next_code()}
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


async def _change_password(http: httpx.AsyncClient, account: StaffAccount) -> str:
    page = await http.get("/console/mot-de-passe")
    response = await http.post(
        "/console/mot-de-passe",
        data={
            "csrf_token": form_csrf_token(page.text),
            "new_password": NEW_PASSWORD,
            "confirmation": NEW_PASSWORD,
        },
    )
    assert response.status_code == 303, response.text
    account.password = NEW_PASSWORD
    return str(response.headers["location"]).split("?")[0]


@asynccontextmanager
async def live_server(settings: Settings) -> AsyncIterator[str]:
    """The app under a real uvicorn server on 127.0.0.1 (its own thread and loop); its URL.

    Give it settings whose ``public_base_url`` is ``http://127.0.0.1:<port>`` (see
    ``free_port``) so cookies and CSRF behave as in a plain-HTTP deployment.
    """
    port = int(settings.public_base_url.rsplit(":", 1)[1])
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the test server did not start")
            await asyncio.sleep(0.05)
        yield settings.public_base_url
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's chromium, headless; nothing is downloaded."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            await browser.close()


async def browser_sign_in(page: Page, base_url: str, account: StaffAccount) -> None:
    """Sign in through the pages as a person would, enrolling and changing password if asked."""
    await page.goto(f"{base_url}/console/connexion")
    await page.fill("#username", account.username)
    await page.fill("#password", account.password)
    await page.click("button[type=submit]")
    if "/enrolement" in page.url:
        secret = await page.text_content("#totp-secret") or ""
        account.totp_secret, account.last_step = secret.replace(" ", ""), -1
    if "/connexion/" in page.url:
        await page.fill("#code", account.next_code())
        await page.click("form[action^='/console/connexion'] button[type=submit]")
    if "/mot-de-passe" in page.url:
        await page.fill("#new_password", NEW_PASSWORD)
        await page.fill("#confirmation", NEW_PASSWORD)
        await page.click("form[action='/console/mot-de-passe'] button[type=submit]")
        account.password = NEW_PASSWORD
    assert page.url.split("?")[0] == f"{base_url}/console", page.url
    # A click returns once the page commits: callers that count elements need it parsed.
    await page.wait_for_load_state()


def record_console_errors(page: Page, problems: list[str]) -> None:
    """Appends to ``problems`` every error the page's console reports: content-security-policy
    violations and failed loads land there."""

    def watch(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", watch)
