"""Issue 18, item 2 in Chromium: a duty officer leaves the queue open; a P1 arrives and the page
shows it without a reload — the list, the count in the tab's title, and a banner announced as an
alert — and each refresh says the tab is on screen (so the watching officer stays signed in).

A short refresh interval (a setting) and polling keep it quick; SQLite only (the queue's
storage is proven on both databases by the HTTP tests).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Page
from playwright.async_api import Request as BrowserRequest
from sqlalchemy import select
from sqlmodel import col

from service.access.auth import TAB_HEADER
from service.models import Role, Tip
from service.models.types import utcnow
from tests.conftest import make_settings
from tests.support.backlog import add_backlog
from tests.support.console import (
    browser_sign_in,
    chromium,
    create_staff,
    free_port,
    live_server,
    record_console_errors,
)
from tests.support.inspect import fetch_all

pytestmark = pytest.mark.browser


async def _until_title(page: Page, prefix: str) -> str:
    for _ in range(200):
        title = await page.title()
        if title.startswith(prefix):
            return title
        await asyncio.sleep(0.05)
    raise AssertionError(f"the title never became {prefix!r}…: {await page.title()!r}")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_new_p1_shows_in_the_open_queue_its_title_and_an_alert(
    tmp_path: Path, database_url: str
) -> None:
    problems: list[str] = []
    tabs: list[str | None] = []

    def refreshed(request: BrowserRequest) -> None:
        if "/console/signalements/actualisation" in request.url:
            tabs.append(request.headers.get(TAB_HEADER.lower()))

    base = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(
        tmp_path, database_url, public_base_url=base, console_queue_refresh_seconds=0.3
    )
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    await add_backlog(database_url, count=1, priority="P3", newest=utcnow())
    async with live_server(settings) as base_url, chromium() as browser:
        page = await (await browser.new_context()).new_page()
        record_console_errors(page, problems)
        page.on("request", refreshed)
        await browser_sign_in(page, base_url, officer)
        await page.goto(f"{base_url}/console/signalements")
        first_title = await page.title()
        banner_before = await page.locator("#p1-alert").count()

        [arrived] = await add_backlog(database_url, count=1, priority="P1", newest=utcnow())
        [tip] = await fetch_all(database_url, select(Tip).where(col(Tip.id) == arrived))
        title = await _until_title(page, "(2)")
        listed = await page.text_content("#queue") or ""
        first_row = await page.get_attribute("tr.queue-row", "data-href")
        banner = page.locator("#p1-alert")
        role = await banner.get_attribute("role")
        banner_text = await banner.text_content() or ""
        fresh = await page.locator("#p1-alert .p1-new").is_visible()
        count = await page.text_content("#queue-count")

    assert first_title.startswith("(1) File de triage — ")
    assert banner_before == 0
    assert title.startswith("(2) File de triage — ")
    assert tip.reference in listed
    assert first_row == f"/console/signalements/{tip.id}"  # P1 first
    assert role == "alert"
    assert tip.reference in banner_text
    assert "Nouveau P1" in banner_text
    assert fresh
    assert count == "2"
    assert tabs
    assert set(tabs) == {"visible"}
    assert problems == []
