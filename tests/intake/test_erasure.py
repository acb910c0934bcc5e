"""``erase_messages``: the plain texts of one stored batch deleted at Twilio by one job, on the
real PostgreSQL, Redis and arq worker, against the fake Twilio. A text Twilio refuses is tried
again alone; the others stay deleted and are never asked for again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from arq.worker import Retry
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy import update as sql_update

from channels.ports import IncomingMessage
from service.core.db import transaction
from service.core.job_names import JobName
from service.intake.batch import Submission, store_batch
from service.intake.erasure import ERASE_MESSAGES_MAX_TRIES, erase_messages
from service.models import Message, OutboxEntry
from service.runtime import Runtime
from service.settings import Settings
from tests.conftest import make_settings
from tests.support.app import running_app
from tests.support.fake_twilio import FakeTwilio, new_sid
from tests.support.inspect import execute, fetch_all
from tests.support.redis import run_burst_worker

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

TEXTS = 12


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, redis_url: str, fake_twilio: FakeTwilio
) -> Settings:
    return make_settings(
        tmp_path,
        database_url,
        redis_url=redis_url,
        twilio_api_base_url=fake_twilio.url,
        twilio_retry_seconds=0.05,
    )


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    async with running_app(settings) as application:
        yield runtime_of(application)


def runtime_of(application: FastAPI) -> Runtime:
    runtime: Runtime = application.state.runtime
    return runtime


async def store_texts(runtime: Runtime, fake: FakeTwilio) -> dict[str, uuid.UUID]:
    """``TEXTS`` SMS from as many reporters, logged at Twilio and stored in one batch, their
    jobs queued as intake queues them; each Twilio id with its message's id."""
    sids = [new_sid("SM") for _ in range(TEXTS)]
    submissions = []
    for n, sid in enumerate(sids):
        sender = f"+2237610{n:04d}"
        fake.receive_message(sid, sender=sender)
        text = IncomingMessage(
            channel="sms",
            body=f"yamba bɛ feere Kalaban Coura, lot {n}",
            received_at=datetime.now(UTC),
            provider_id=sid,
            sender=sender,
        )
        submissions.append(Submission(text))
    async with transaction(runtime.sessions) as session:
        stored = await store_batch(
            session=session,
            keyring=runtime.keyring,
            submissions=submissions,
            window=timedelta(days=30),
        )
    await runtime.dispatcher.dispatch(stored.jobs)
    [entry] = await erase_entries(runtime)
    return dict(zip(sids, (uuid.UUID(arg) for arg in entry.job_args), strict=True))


async def erase_entries(runtime: Runtime) -> list[OutboxEntry]:
    url = runtime.settings.resolved_database_url
    entries = await fetch_all(url, select(OutboxEntry))
    return [entry for entry in entries if entry.job_name.startswith("erase")]


async def still_sealed(runtime: Runtime) -> set[uuid.UUID]:
    """The messages whose Twilio id is still kept (not yet deleted there)."""
    messages = await fetch_all(runtime.settings.resolved_database_url, select(Message))
    return {message.id for message in messages if message.provider_id_sealed is not None}


async def test_a_stored_batch_is_erased_at_twilio_by_one_job_queued_once(
    runtime: Runtime, settings: Settings, fake_twilio: FakeTwilio
) -> None:
    texts = await store_texts(runtime, fake_twilio)

    # The request's own enqueue, then the relay's retries of it: one job in Redis.
    assert await runtime.dispatcher.relay(older_than=timedelta(0)) == 0
    url = settings.resolved_database_url
    await execute(url, sql_update(OutboxEntry).values(relayed_at=None))
    assert await runtime.dispatcher.relay(older_than=timedelta(0)) == 0
    [entry] = await erase_entries(runtime)
    queued = await runtime.queue.redis.queued_jobs()  # type: ignore[attr-defined]
    erasing = [job for job in queued if job.function == JobName.ERASE_MESSAGES]
    assert [(job.job_id, list(job.args)) for job in erasing] == [(entry.job_key, entry.job_args)]

    await run_burst_worker(settings)

    assert fake_twilio.held() == []
    assert sorted(fake_twilio.deleted) == sorted(f"Messages/{sid}" for sid in texts)
    assert await still_sealed(runtime) == set()
    [entry] = await erase_entries(runtime)
    assert entry.completed_at is not None
    # Nothing left for the relay, nor for a second worker: nothing deleted twice.
    assert await runtime.dispatcher.relay(older_than=timedelta(0)) == 0
    await run_burst_worker(settings)
    assert len(fake_twilio.deleted) == TEXTS


async def test_a_text_twilio_refuses_is_tried_again_alone(
    runtime: Runtime, fake_twilio: FakeTwilio
) -> None:
    texts = await store_texts(runtime, fake_twilio)
    [entry] = await erase_entries(runtime)
    fake_twilio.delete_failures = [503]  # Twilio down for one of the deletes
    ctx = {"runtime": runtime, "job_id": entry.job_key, "job_try": 1}

    with pytest.raises(Retry):
        await erase_messages(ctx, *entry.job_args)

    # The others are deleted and their ids forgotten; the refused one is kept for the retry,
    # and the job's entry stays open for the relay.
    [refused] = fake_twilio.held()
    [kept] = await still_sealed(runtime)
    assert refused == f"Messages/{next(sid for sid, id_ in texts.items() if id_ == kept)}"
    assert len(fake_twilio.deleted) == TEXTS - 1
    [entry] = await erase_entries(runtime)
    assert entry.completed_at is None

    assert await erase_messages(ctx | {"job_try": 2}, *entry.job_args) == "1 erased"

    assert fake_twilio.held() == []
    assert sorted(fake_twilio.deleted) == sorted(f"Messages/{sid}" for sid in texts)
    assert await still_sealed(runtime) == set()
    [entry] = await erase_entries(runtime)
    assert entry.completed_at is not None


async def test_a_text_still_refused_at_the_last_try_is_left_to_the_purge(
    runtime: Runtime, fake_twilio: FakeTwilio
) -> None:
    await store_texts(runtime, fake_twilio)
    [entry] = await erase_entries(runtime)
    fake_twilio.delete_failures = [503]
    ctx = {"runtime": runtime, "job_id": entry.job_key, "job_try": ERASE_MESSAGES_MAX_TRIES}

    assert await erase_messages(ctx, *entry.job_args) == f"{TEXTS - 1} erased"

    # Given up: its id stays sealed for the periodic purge, the job is done.
    assert len(fake_twilio.held()) == len(await still_sealed(runtime)) == 1
    [entry] = await erase_entries(runtime)
    assert entry.completed_at is not None
