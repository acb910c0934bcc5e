"""One reference per MessageSid, whichever process answers, with the database up, down or back.

Two ``tipline serve`` sharing a data directory (and so a spool), their PostgreSQL behind a proxy
the test refuses and lets through again. The same signed message is delivered as Twilio's retries
and fallback URL deliver it: to both processes at once during the outage, once before the outage
and again during it, during the outage and again just after it (before and after the spool is
replayed) — also a known number's further message, which would join its open tip. Every answer
must carry the reference the message's tip is finally stored under.
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
    ServerProcess,
    post,
    stored_references,
    wait_until_spool_replayed,
    wrong_references,
)
from tests.support.redis import OwnRedisServer
from tests.support.tcp_proxy import TcpProxy
from tests.support.twilio import sms_form

PER_GROUP = 20


@pytest.fixture
def settings(tmp_path: Path, proxied_database_url: str, own_redis: OwnRedisServer) -> Settings:
    # The spool is replayed every 10 s: retries just after the outage come before the replay.
    return make_settings(
        tmp_path,
        proxied_database_url,
        redis_url=own_redis.url,
        sms_bundle_seconds=0,
        spool_replay_seconds=10,
    )


def messages(group: int, *, senders: int | None = None) -> list[dict[str, str]]:
    """First messages from as many new numbers: each stored one is a tip of its own (or, with
    ``senders``, further messages from the numbers of that group)."""
    return [
        sms_form(
            sender=f"+2237{senders or group}{n:06d}", body=f"groupe {group} : yamba au marché {n}"
        )
        for n in range(PER_GROUP)
    ]


async def test_every_answer_for_a_message_sid_names_the_tip_it_is_stored_in(
    settings: Settings, servers: list[ServerProcess], postgres_proxy: TcpProxy
) -> None:
    first, second = servers
    before, both, after = messages(1), messages(2), messages(3)
    # Further messages of the numbers of ``before``, whose tips are open conversations.
    known = messages(4, senders=1)
    answered = await deliver(first, before)

    postgres_proxy.refusing()
    answered += await during_outage(servers, before, both, after + known)
    spooled = sum(server.logged("message_spooled") for server in servers)
    postgres_proxy.passing()
    await ready(second)
    # Retries just after the outage, by the other process and by the same, before the replay.
    answered += await deliver(second, after + known) + await deliver(first, after + both)
    await wait_until_spool_replayed(settings, within=60)
    answered += await deliver(second, before + both + after + known)

    assert spooled >= 4 * PER_GROUP, "the outage should have sent the messages to the spool"
    assert all(delivery.accepted for delivery in answered)
    wrong = await wrong_references(settings, answered)
    assert wrong == [], f"{len(wrong)} MessageSids answered with a reference not their tip's"
    assert len(await stored_references(settings)) == 4 * PER_GROUP


async def during_outage(
    servers: list[ServerProcess],
    before: list[dict[str, str]],
    both: list[dict[str, str]],
    after: list[dict[str, str]],
) -> list[Delivery]:
    """Each of ``both`` to both processes at once; ``before`` (stored) retried; ``after`` sent."""
    first, second = servers
    rounds = await asyncio.gather(
        deliver(first, both), deliver(second, both), deliver(second, before), deliver(first, after)
    )
    return [delivery for deliveries in rounds for delivery in deliveries]


async def deliver(server: ServerProcess, forms: list[dict[str, str]]) -> list[Delivery]:
    """Each form once (a retry is the same form again), four at a time."""
    deliveries = [Delivery(form) for form in forms]
    pending = iter(deliveries)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:

        async def send_next() -> None:
            for delivery in pending:
                await post(client, delivery)

        await asyncio.gather(*(send_next() for _ in range(4)))
    return deliveries


async def ready(server: ServerProcess, *, within: float = 30) -> None:
    """Wait until the process says its database answers again."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        while (await client.get("/readyz")).status_code != 200:
            assert time.monotonic() < deadline, "the process did not see the database back"
            await asyncio.sleep(0.1)
