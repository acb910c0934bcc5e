"""Tips driven in through the signed SMS webhook, and casework done through the real API.

Tests build their situation the way production does: a citizen's SMS (signed like Twilio signs
it), the triage job on the in-process queue, then officers' API calls. Nothing is inserted by hand
except where a test says why.
"""

from __future__ import annotations

import itertools
import re
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from service.models import Case, Tip
from tests.support.inspect import fetch_all
from tests.support.twilio import signature, sms_form

SMS_PATH = "/channels/sms/twilio"
_REFERENCE = re.compile(r"OCS-[0-9A-Z]{4}-[0-9A-Z]{4}")
_numbers = itertools.count(1)


def new_sender() -> str:
    """A Malian mobile number no other test uses."""
    return f"+2237{next(_numbers) + 1_000_000:07d}"


async def post_sms(client: httpx.AsyncClient, *, sender: str, body: str) -> httpx.Response:
    form = sms_form(sender=sender, body=body)
    return await client.post(
        SMS_PATH, data=form, headers={"X-Twilio-Signature": signature(SMS_PATH, form)}
    )


async def send_sms(client: httpx.AsyncClient, *, sender: str, body: str) -> str:
    """Post a signed SMS; the tip's reference from the TwiML answer."""
    response = await post_sms(client, sender=sender, body=body)
    assert response.status_code == 200, response.text
    match = _REFERENCE.search(response.text)
    assert match, response.text
    return match.group(0)


async def settle(app: FastAPI) -> None:
    """Let the in-process queue run what the requests queued (triage, replies, alerts)."""
    await app.state.runtime.queue.join()


async def tip_of(database_url: str, reference: str) -> Tip:
    [tip] = await fetch_all(database_url, select(Tip).where(col(Tip.reference) == reference))
    assert isinstance(tip, Tip)
    return tip


async def case_of(database_url: str, tip_id: uuid.UUID) -> Case:
    [case] = await fetch_all(database_url, select(Case).where(col(Case.tip_id) == tip_id))
    assert isinstance(case, Case)
    return case


async def received_tip(
    app: FastAPI, client: httpx.AsyncClient, database_url: str, body: str, sender: str | None = None
) -> Tip:
    """A tip as a citizen sends it, triaged."""
    reference = await send_sms(client, sender=sender or new_sender(), body=body)
    await settle(app)
    return await tip_of(database_url, reference)


async def routed_case(officer: httpx.AsyncClient, tip: Tip, antenna: str) -> dict[str, Any]:
    """Route through the API as a duty officer; the case as the API shows it."""
    response = await officer.post(f"/api/v1/tips/{tip.id}/route", json={"antenna": antenna})
    assert response.status_code == 200, response.text
    case: dict[str, Any] = response.json()
    return case
