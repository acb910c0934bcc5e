"""Every webhook delivered twice at the same moment still makes one tip (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select
from sqlmodel import col

from service.models import Message, OutboxEntry, Reporter, Tip
from service.settings import Settings
from tests.support.inspect import count_rows, fetch_all
from tests.support.twilio import signature, sms_form

PATH = "/channels/sms/twilio"
MESSAGES = 30


async def post(client: httpx.AsyncClient, form: dict[str, str]) -> httpx.Response:
    return await client.post(PATH, data=form, headers={"X-Twilio-Signature": signature(PATH, form)})


def sender(number: int) -> str:
    return f"+2237{number:07d}"


async def test_every_webhook_delivered_twice_at_once_makes_one_tip(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    forms = [
        sms_form(sender=sender(n), body=f"vente de yamba au marché numéro {n}")
        for n in range(MESSAGES)
    ]

    answers = await asyncio.gather(*(post(client, form) for form in forms for _ in range(2)))

    assert {answer.status_code for answer in answers} == {200}
    for first, second in zip(answers[::2], answers[1::2], strict=True):
        assert "Référence OCS-" in first.text
        assert second.text == first.text
    url = settings.resolved_database_url
    assert await count_rows(url, "tips") == MESSAGES
    assert await count_rows(url, "messages") == MESSAGES
    assert await count_rows(url, "reporters") == MESSAGES
    per_sid = await fetch_all(
        url, select(func.count()).select_from(Message).group_by(col(Message.provider_id_hash))
    )
    assert set(per_sid) == {1}
    # Each message once: its triage (with the others of its stored batch) and its deletion at
    # Twilio.
    entries = await fetch_all(url, select(OutboxEntry))
    assert sorted({entry.job_name for entry in entries}) == ["erase_messages", "triage_tip"]
    erased = [m for e in entries if e.job_name == "erase_messages" for m in e.job_args]
    assert sorted(erased) == sorted(str(m.id) for m in await fetch_all(url, select(Message)))
    triaged = [tip for e in entries if e.job_name == "triage_tip" for tip in e.job_args]
    assert sorted(triaged) == sorted(str(tip.id) for tip in await fetch_all(url, select(Tip)))


async def test_two_first_messages_from_one_new_number_at_once_make_one_conversation(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    number = sender(9_999_999)
    first = sms_form(sender=number, body="un camion de chanvre arrive à Kati")
    second = sms_form(sender=number, body="ce soir vers 22h, plaque AB 1234 MD")

    answers = await asyncio.gather(post(client, first), post(client, second))

    assert {answer.status_code for answer in answers} == {200}
    url = settings.resolved_database_url
    assert await count_rows(url, "reporters") == 1
    assert await count_rows(url, "messages") == 2
    [tip] = await fetch_all(url, select(Tip))
    assert all(tip.reference in answer.text for answer in answers)
    [reporter] = await fetch_all(url, select(Reporter))
    assert tip.reporter_id == reporter.id
