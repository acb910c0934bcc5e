"""The web follow-up: reference + receipt code open the mailbox; nothing tells a wrong code from an
unknown reference; wrong codes are slowed down and limited; answers re-run triage."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from crypto import new_reference
from service.models import Direction, Message, TriageDecision
from service.settings import Settings
from tests.channels.test_web_form import receipt_of, submit, token_of
from tests.conftest import make_settings
from tests.support.app import running_app
from tests.support.channel_fixtures import (
    ask_reporter,
    citizen_client,
    message_by_id,
    runtime_of_app,
    settle,
)
from tests.support.inspect import count_rows

QUESTION = "Merci. Le vendeur a-t-il une moto ?"


async def file_report(client: httpx.AsyncClient) -> tuple[str, str]:
    token = token_of((await client.get("/")).text)
    return receipt_of((await submit(client, token)).text)


async def open_mailbox(client: httpx.AsyncClient, reference: str, code: str) -> httpx.Response:
    token = token_of((await client.get("/suivi")).text)
    return await client.post("/suivi", data={"jeton": token, "reference": reference, "code": code})


def access_of(page: str) -> str:
    found = re.search(r'name="acces" value="([^"]+)"', page)
    assert found, "the mailbox has no access token"
    return found.group(1)


def without_tokens(page: str) -> str:
    return re.sub(r'value="[^"]*"', 'value=""', page)


async def test_the_right_code_opens_the_mailbox_with_the_officers_question(
    channel_app: FastAPI, channel_client: httpx.AsyncClient
) -> None:
    reference, code = await file_report(channel_client)
    reply_id = await ask_reporter(runtime_of_app(channel_app), reference, QUESTION)
    await settle(channel_app)

    # As citizens type it: lower case, spaces instead of dashes.
    response = await open_mailbox(channel_client, reference.lower().replace("-", " "), code.lower())

    assert response.status_code == 200
    assert reference in response.text
    assert "Le vendeur a-t-il une moto ?" in response.text
    assert response.headers["cache-control"] == "no-store"
    reply = await message_by_id(runtime_of_app(channel_app), reply_id)
    assert reply.delivery_status == "read"  # never sent anywhere: the mailbox showed it


async def test_unknown_reference_malformed_reference_and_wrong_code_look_the_same(
    channel_client: httpx.AsyncClient,
) -> None:
    reference, code = await file_report(channel_client)
    wrong_code = "2345-6789" if code != "2345-6789" else "3456-789A"

    answers = [
        await open_mailbox(channel_client, reference, wrong_code),
        await open_mailbox(channel_client, new_reference(), code),
        await open_mailbox(channel_client, "OCS-0000-0000", code),
    ]

    assert {answer.status_code for answer in answers} == {403}
    assert len({without_tokens(answer.text) for answer in answers}) == 1
    assert "Référence ou code de suivi incorrect." in answers[0].text
    assert reference not in answers[0].text


async def test_wrong_codes_are_limited_per_reference_even_for_the_right_code(
    channel_client: httpx.AsyncClient,
) -> None:
    reference, code = await file_report(channel_client)

    for _ in range(5):
        assert (await open_mailbox(channel_client, reference, "2222-2222")).status_code == 403
    blocked = await open_mailbox(channel_client, reference, code)
    unknown_blocked = [await open_mailbox(channel_client, "OCS-ZZZZ-ZZZ2", code) for _ in range(6)]

    assert blocked.status_code == 429
    assert "Trop d&#39;essais" in blocked.text or "Trop d'essais" in blocked.text
    # An unknown reference reaches the same limit the same way: no enumeration through it.
    assert [answer.status_code for answer in unknown_blocked] == [403] * 5 + [429]


async def test_wrong_codes_are_limited_per_client_across_references(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        followup_max_failures_per_client=3,
        followup_failure_delay_seconds=0.01,
    )
    async with running_app(settings) as application, citizen_client(application) as client:
        reference, code = await file_report(client)
        for _ in range(3):
            await open_mailbox(client, new_reference(), "2222-2222")
        blocked = await open_mailbox(client, reference, code)

    assert blocked.status_code == 429


async def test_a_wrong_code_is_slowed_down(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url, followup_failure_delay_seconds=0.2)
    async with running_app(settings) as application, citizen_client(application) as client:
        reference, _code = await file_report(client)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await open_mailbox(client, reference, "2222-2222")
        await open_mailbox(client, reference, "2222-2222")
        elapsed = loop.time() - started

    assert elapsed >= 0.2 + 0.4  # 0.2 s, then twice that


async def test_an_answer_joins_the_tip_and_triage_runs_again(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, twilio_settings: Settings
) -> None:
    reference, code = await file_report(channel_client)
    await ask_reporter(runtime_of_app(channel_app), reference, QUESTION)
    await settle(channel_app)
    mailbox = await open_mailbox(channel_client, reference, code)

    response = await channel_client.post(
        "/suivi/message",
        data={
            "jeton": token_of(mailbox.text),
            "acces": access_of(mailbox.text),
            "reference": reference,
            "reponse": "Oui, une moto rouge sans plaque.",
        },
    )
    await settle(channel_app)

    assert response.status_code == 200
    assert "Votre réponse a été transmise" in response.text
    assert "Oui, une moto rouge sans plaque." in response.text
    runtime = runtime_of_app(channel_app)
    async with runtime.sessions() as session:
        inbound = (
            await session.scalars(
                select(Message).where(col(Message.direction) == Direction.INBOUND)
            )
        ).all()
        decisions = (await session.scalars(select(TriageDecision))).all()
    assert len(inbound) == 2
    assert len({decision.input_digest for decision in decisions}) == 2
    assert await count_rows(twilio_settings.resolved_database_url, "tips") == 1


async def test_an_answer_without_a_valid_access_token_is_refused(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, twilio_settings: Settings
) -> None:
    reference, code = await file_report(channel_client)
    mailbox = await open_mailbox(channel_client, reference, code)
    other_reference, _ = await file_report(channel_client)

    response = await channel_client.post(
        "/suivi/message",
        data={
            "jeton": token_of(mailbox.text),
            "acces": access_of(mailbox.text),
            "reference": other_reference,  # the token was given for the first tip only
            "reponse": "tentative",
        },
    )

    assert response.status_code == 403
    assert await count_rows(twilio_settings.resolved_database_url, "messages") == 2
