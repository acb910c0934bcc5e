"""Fixtures for the channel tests: the real app with its Twilio client pointed at a local fake.

Loaded by ``tests/conftest.py`` as a plugin, so test modules simply ask for them.
"""

from __future__ import annotations

import asyncio
import io
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from service.core.db import transaction
from service.models import Message, Tip
from service.reporters.replies import queue_reply
from service.runtime import Runtime
from service.settings import Settings
from tests.conftest import make_settings
from tests.support.app import running_app
from tests.support.fake_twilio import FakeTwilio, running_fake_twilio
from tests.support.twilio import PUBLIC_BASE_URL, signature

# The address the in-memory client pretends to come from: searched for in every store.
CLIENT_ADDRESS = "203.0.113.77"


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    async with running_fake_twilio() as fake:
        yield fake


@pytest.fixture
def twilio_settings(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio, captured_logs: io.StringIO
) -> Settings:
    return make_settings(
        tmp_path,
        database_url,
        twilio_api_base_url=fake_twilio.url,
        twilio_retry_seconds=0.05,
        followup_failure_delay_seconds=0.01,
    )


@pytest.fixture
async def channel_app(twilio_settings: Settings) -> AsyncIterator[FastAPI]:
    async with running_app(twilio_settings) as application:
        yield application


@pytest.fixture
async def channel_client(channel_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with citizen_client(channel_app) as client:
        yield client


def citizen_client(application: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, client=(CLIENT_ADDRESS, 40123))
    return httpx.AsyncClient(transport=transport, base_url=PUBLIC_BASE_URL)


def runtime_of_app(application: FastAPI) -> Runtime:
    runtime: Runtime = application.state.runtime
    return runtime


async def post_signed(client: httpx.AsyncClient, path: str, form: dict[str, str]) -> httpx.Response:
    """A webhook exactly as Twilio posts it, signed over the public URL (query included)."""
    headers = {"X-Twilio-Signature": signature(path, form)}
    return await client.post(path, data=form, headers=headers)


async def wait_until(
    check: Callable[[], Awaitable[bool]], *, timeout: float = 10.0, what: str = "condition"
) -> None:
    """For jobs that retry later: poll until ``check`` holds."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def settle(application: FastAPI) -> None:
    """Let the in-process queue run what is queued now (and what those jobs queue)."""
    await runtime_of_app(application).queue.join()  # type: ignore[attr-defined]


async def tip_by_reference(runtime: Runtime, reference: str) -> Tip:
    async with runtime.sessions() as session:
        tip = (await session.scalars(select(Tip).where(col(Tip.reference) == reference))).one()
    return tip


async def ask_reporter(runtime: Runtime, reference: str, question: str) -> uuid.UUID:
    """What the console does when an officer writes to a tip's reporter; the reply's id."""
    async with transaction(runtime.sessions) as session:
        tip = (await session.scalars(select(Tip).where(col(Tip.reference) == reference))).one()
        reply = queue_reply(session=session, keyring=runtime.keyring, tip=tip, body=question)
    await runtime.dispatcher.relay(older_than=timedelta(0))
    return reply.id


async def message_by_id(runtime: Runtime, message_id: uuid.UUID) -> Message:
    async with runtime.sessions() as session:
        message = await session.get(Message, message_id)
    assert message is not None
    return message
