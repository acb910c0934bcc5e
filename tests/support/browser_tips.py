"""Tips sent to a live server as a citizen sends them (a signed SMS), for the browser tests."""

from __future__ import annotations

import asyncio
import re

import httpx
from sqlalchemy import select
from sqlmodel import col
from twilio.request_validator import RequestValidator

from service.models import Tip, TipStatus
from service.settings import Settings
from tests.support.casework import new_sender
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
