"""Tips sent to a live server as a citizen sends them (a signed SMS), for the browser tests."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from playwright.async_api import Browser, Page
from sqlalchemy import select
from sqlmodel import col
from twilio.request_validator import RequestValidator

from service.models import Tip, TipStatus
from service.settings import Settings
from tests.support.casework import new_sender
from tests.support.console import StaffAccount, open_session_token, use_session
from tests.support.inspect import fetch_all
from tests.support.twilio import AUTH_TOKEN, sms_form

_REFERENCE = re.compile(r"OCS-[0-9A-Z]{4}-[0-9A-Z]{4}")


async def send_tip(settings: Settings, base_url: str, body: str, sender: str | None = None) -> Tip:
    """A signed SMS to the live server; the tip once triaged."""
    path = "/channels/sms/twilio"
    form = sms_form(sender=sender or new_sender(), body=body)
    signed = RequestValidator(AUTH_TOKEN).compute_signature(base_url + path, form)
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(path, data=form, headers={"X-Twilio-Signature": signed})
    assert response.status_code == 200, response.text
    match = _REFERENCE.search(response.text)
    assert match, response.text
    return await triaged(settings, match.group(0))


async def triaged(settings: Settings, reference: str) -> Tip:
    for _ in range(200):
        [tip] = await fetch_all(
            settings.resolved_database_url, select(Tip).where(col(Tip.reference) == reference)
        )
        if tip.status != TipStatus.RECEIVED:
            assert isinstance(tip, Tip)
            return tip
        await asyncio.sleep(0.1)
    raise AssertionError("the tip was not triaged")


async def status_of(settings: Settings, tip: Tip) -> str:
    [status] = await fetch_all(
        settings.resolved_database_url, select(col(Tip.status)).where(col(Tip.id) == tip.id)
    )
    return str(status)


@asynccontextmanager
async def api_as(
    settings: Settings, base_url: str, account: StaffAccount
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the live server signed in as this account (a session made directly)."""
    token = await open_session_token(settings, account)
    async with httpx.AsyncClient(base_url=base_url) as http:
        use_session(http, token)
        yield http


async def route(http: httpx.AsyncClient, tip: Tip, antenna: str) -> str:
    """Route as a duty officer through the API; the case's id."""
    response = await http.post(f"/api/v1/tips/{tip.id}/route", json={"antenna": antenna})
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def phone_page(browser: Browser) -> Page:
    """A page the size of a common phone's screen (390 by 844 CSS pixels)."""
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    return await context.new_page()


async def fits_the_width(page: Page) -> bool:
    """Nothing to scroll sideways."""
    return bool(await page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"))
