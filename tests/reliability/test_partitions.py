"""A partition: PostgreSQL stops answering without closing its connections.

Two ``tipline serve`` sharing a data directory (and so a spool), their database behind a proxy
that black-holes it: nothing is forwarded and nothing is closed. With the default settings every
webhook is still answered within Twilio's patience, with a reference, its message spooled; once
the proxy passes again every tip is stored, under the reference its citizen was given.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from service.settings import Settings
from tests.conftest import make_settings
from tests.reliability.harness import (
    Delivery,
    Load,
    ServerProcess,
    post,
    stored_references,
    wait_until_spool_replayed,
    wrong_references,
)
from tests.support.redis import OwnRedisServer
from tests.support.tcp_proxy import TcpProxy

# Twilio gives up on a webhook after 15 s; the issue asks for 5 s at most during a partition.
ANSWER_BOUND_SECONDS = 5.0
PER_SERVER = {"before": 15, "partition": 40, "after": 15}
CONCURRENCY = 4
# The partition's webhooks are paced, so that it lasts several of the database timeouts.
PAUSE_SECONDS = 0.15
# Longer than the default statement timeout: the partition is met by several tries.
PARTITION_MIN_SECONDS = 2.5
_DEFAULT_CONNECT_TIMEOUT = Settings.model_fields["database_connect_timeout_seconds"].default


@pytest.fixture
def settings(tmp_path: Path, proxied_database_url: str, own_redis: OwnRedisServer) -> Settings:
    # The database timeouts and pool are production's: they are what is tested (not the longer
    # connect bound the other tests give a busy CI machine).
    return make_settings(
        tmp_path,
        proxied_database_url,
        redis_url=own_redis.url,
        sms_bundle_seconds=0,
        spool_replay_seconds=0.5,
        database_connect_timeout_seconds=_DEFAULT_CONNECT_TIMEOUT,
    )


async def test_a_partition_is_answered_within_seconds_and_every_answer_is_stored(
    settings: Settings, servers: list[ServerProcess], postgres_proxy: TcpProxy
) -> None:
    before = await deliver_timed(servers, "before")
    postgres_proxy.black_hole()
    started = time.monotonic()
    during, readiness = await asyncio.gather(
        deliver_timed(servers, "partition"), timed_readiness(servers[0])
    )
    partition_seconds = time.monotonic() - started
    postgres_proxy.passing()
    after = await deliver_timed(servers, "after")
    await wait_until_spool_replayed(settings, within=60)

    answered = [delivery for delivery, _ in before + during + after]
    slowest = max(seconds for _, seconds in during)
    assert partition_seconds > PARTITION_MIN_SECONDS
    assert slowest < ANSWER_BOUND_SECONDS, f"a webhook waited {slowest:.1f} s in the partition"
    assert all(delivery.accepted and delivery.reference for delivery in answered)
    status, waited = readiness
    assert status == 503, "a process whose database does not answer is not ready"
    assert waited < ANSWER_BOUND_SECONDS
    spooled = sum(server.logged("message_spooled") for server in servers)
    assert spooled >= len(during), "every webhook of the partition should have been spooled"
    wrong = await wrong_references(settings, answered)
    assert wrong == [], f"{len(wrong)} answered references are not the stored tip's"
    assert len(await stored_references(settings)) == len(answered)


async def deliver_timed(servers: list[ServerProcess], phase: str) -> list[tuple[Delivery, float]]:
    """Each server its share of new reporters' first messages, ``CONCURRENCY`` at a time, paced;
    each delivery with the seconds it waited for its answer."""
    timed: list[tuple[Delivery, float]] = []

    async def one_server(index: int, server: ServerProcess) -> None:
        count = PER_SERVER[phase]
        load = Load.of_new_reporters(count, f"{phase}-{index}")
        for n, delivery in enumerate(load.deliveries):  # a number of its own per phase and server
            delivery.form["From"] = f"+2237{index}{list(PER_SERVER).index(phase)}{n:05d}"
        pending = iter(load.deliveries)
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:

            async def send_next() -> None:
                for delivery in pending:
                    started = time.monotonic()
                    await post(client, delivery)
                    timed.append((delivery, time.monotonic() - started))
                    await asyncio.sleep(PAUSE_SECONDS)

            await asyncio.gather(*(send_next() for _ in range(CONCURRENCY)))

    await asyncio.gather(*(one_server(index, server) for index, server in enumerate(servers)))
    return timed


async def timed_readiness(server: ServerProcess) -> tuple[int, float]:
    """``/readyz`` asked once the partition has begun: its status, and how long it took."""
    await asyncio.sleep(1)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        started = time.monotonic()
        answer = await client.get("/readyz")
    return answer.status_code, time.monotonic() - started
