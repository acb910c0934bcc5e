"""Outbox and queues: every stored tip is triaged exactly once, even across a Redis outage."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlmodel import col

from service.background.outbox import MAX_REQUEUES
from service.models import OutboxEntry, Tip, TipStatus
from service.settings import Settings
from tests.conftest import make_settings
from tests.support.app import http_client, running_app
from tests.support.inspect import count_rows, execute, fetch_all
from tests.support.redis import OwnRedisServer, run_burst_worker
from tests.support.twilio import signature, sms_form

PATH = "/channels/sms/twilio"
TRIAGE_JOBS = ("triage_tip", "triage_bundled")


async def post_sms(client: httpx.AsyncClient, sender: str, body: str) -> httpx.Response:
    form = sms_form(sender=sender, body=body)
    return await client.post(PATH, data=form, headers={"X-Twilio-Signature": signature(PATH, form)})


@pytest.fixture
def own_redis() -> Iterator[OwnRedisServer]:
    server = OwnRedisServer()
    server.start()
    yield server
    server.stop()


async def lose_every_job(url: str) -> None:
    """What a Redis restart without persistence does to the queue."""
    redis = Redis.from_url(url)
    await redis.flushdb()
    await redis.aclose()


async def pending_outbox(url: str) -> int:
    """Triage entries whose job has not completed yet (each SMS also queues its deletion at
    Twilio, which these tests have no Twilio for)."""
    pending = select(OutboxEntry).where(OutboxEntry.completed_at.is_(None))  # type: ignore[union-attr]
    return sum(entry.job_name in TRIAGE_JOBS for entry in await fetch_all(url, pending))


async def test_the_in_process_queue_triages_a_stored_tip(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await post_sms(client, "+22370000001", "yamba bɛ feere Kalaban Coura bi su")

    await app.state.runtime.queue.join()

    assert await count_rows(settings.resolved_database_url, "triage_decisions") == 1
    assert await pending_outbox(settings.resolved_database_url) == 0


async def test_the_arq_worker_triages_each_tip_exactly_once(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, redis_url=redis_url)
    async with running_app(settings) as application, http_client(application) as client:
        await post_sms(client, "+22370000002", "50 kg de cannabis à Sabalibougou demain à 10h")
        await post_sms(client, "+22370000003", "bonjour")

    await run_burst_worker(settings)
    # A second relay pass and a second worker run find nothing more to do.
    async with running_app(settings) as application:
        await application.state.runtime.dispatcher.relay(older_than=timedelta(0))
    await run_burst_worker(settings)

    assert await count_rows(database_url, "triage_decisions") == 2
    assert await pending_outbox(database_url) == 0


async def test_a_redis_outage_loses_nothing(
    tmp_path: Path, database_url: str, own_redis: OwnRedisServer
) -> None:
    settings = make_settings(tmp_path, database_url, redis_url=own_redis.url)
    own_redis.stop()
    async with running_app(settings) as application, http_client(application) as client:
        response = await post_sms(
            client, "+22370000004", "tramadol caaman bɛ mobili kɔnɔ Fana sisan"
        )

    assert response.status_code == 200
    assert "Référence OCS-" in response.text
    assert await count_rows(database_url, "tips") == 1
    assert await pending_outbox(database_url) == 1

    own_redis.start()
    await run_burst_worker(settings)  # its start-up relays what the outage left pending
    await run_burst_worker(settings)

    assert await pending_outbox(database_url) == 0
    assert await count_rows(database_url, "triage_decisions") == 1
    [tip] = await fetch_all(database_url, select(Tip))
    assert tip.status in (TipStatus.ROUTED, TipStatus.AWAITING_OFFICER)


async def test_the_relay_requeues_only_what_redis_lost(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, redis_url=redis_url)
    async with running_app(settings) as application, http_client(application) as client:
        await post_sms(client, "+22370000005", "yamba bɛ feere Kalaban Coura bi su")
        dispatcher = application.state.runtime.dispatcher

        # Still queued in Redis: looked at, not queued twice.
        assert await dispatcher.relay(older_than=timedelta(0)) == 0
        # Redis restarted without persistence: the job is gone, and queued again.
        await lose_every_job(redis_url)
        rechecked = sql_update(OutboxEntry).values(relayed_at=None)
        await execute(database_url, rechecked)
        assert await dispatcher.relay(older_than=timedelta(0)) == 2  # triage, erase at Twilio

    [entry] = await fetch_all(
        database_url, select(OutboxEntry).where(col(OutboxEntry.job_name).in_(TRIAGE_JOBS))
    )
    assert entry.relay_count == 1
    await run_burst_worker(settings)
    assert await count_rows(database_url, "triage_decisions") == 1
    assert await pending_outbox(database_url) == 0


async def test_a_relay_retry_does_not_queue_a_stored_batch_twice(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, redis_url=redis_url)
    async with running_app(settings) as application, http_client(application) as client:
        # Stored together (group commit): one triage job for the three tips.
        await asyncio.gather(
            *(post_sms(client, f"+2237000002{n}", f"yamba à Kati, lot {n}") for n in range(3))
        )
        dispatcher = application.state.runtime.dispatcher
        [entry] = await fetch_all(
            database_url, select(OutboxEntry).where(col(OutboxEntry.job_name) == "triage_tip")
        )
        assert len(entry.job_args) == 3

        # The request's own enqueue, then the relay's and a second API's retries of it.
        assert await dispatcher.relay(older_than=timedelta(0)) == 0
        await execute(database_url, sql_update(OutboxEntry).values(relayed_at=None))
        assert await dispatcher.relay(older_than=timedelta(0)) == 0
        await dispatcher.dispatch([entry])

        redis = application.state.runtime.queue.redis
        queued = [job for job in await redis.queued_jobs() if job.function == "triage_tip"]
    assert [(job.job_id, list(job.args)) for job in queued] == [(entry.job_key, entry.job_args)]
    await run_burst_worker(settings)
    assert await count_rows(database_url, "triage_decisions") == 3
    assert await pending_outbox(database_url) == 0


async def test_a_job_requeued_too_often_is_left_for_an_operator(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, redis_url=redis_url)
    async with running_app(settings) as application, http_client(application) as client:
        await post_sms(client, "+22370000006", "tramadol à Fana")
        await lose_every_job(redis_url)
        await execute(database_url, sql_update(OutboxEntry).values(relay_count=MAX_REQUEUES))

        assert await application.state.runtime.dispatcher.relay(older_than=timedelta(0)) == 0

    assert await pending_outbox(database_url) == 1
