"""Several SMS in a row from one number are triaged once, as one message."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from service.decisions import store as decisions
from service.models import Message, TriageDecision
from service.settings import Settings
from tests.conftest import make_settings
from tests.support.app import running_app
from tests.support.channel_fixtures import citizen_client, post_signed, settle, wait_until
from tests.support.inspect import count_rows, fetch_all
from tests.support.redis import run_burst_worker
from tests.support.twilio import sms_form

SMS_PATH = "/channels/sms/twilio"
SENDER = "+22371234500"
PARTS = ["Bonsoir. Il y a un camion", "rempli de yamba garé à Kalaban Coura", "ce soir vers 22h"]


def bundling_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    return make_settings(tmp_path, database_url, sms_bundle_seconds=0.6, **overrides)


async def test_texts_sent_in_a_row_are_triaged_once_together(
    tmp_path: Path, database_url: str
) -> None:
    settings = bundling_settings(tmp_path, database_url)
    async with running_app(settings) as application, citizen_client(application) as client:
        for part in PARTS:
            await post_signed(client, SMS_PATH, sms_form(sender=SENDER, body=part))
        await settle(application)
        assert await count_rows(database_url, "triage_decisions") == 0  # still within the window

        async def decided() -> bool:
            return await count_rows(database_url, "triage_decisions") > 0

        await wait_until(decided, what="the bundled triage")
        await settle(application)

    [decision] = await fetch_all(database_url, select(TriageDecision))
    messages = await fetch_all(database_url, select(Message))
    assert len(messages) == 3
    assert decision.input_digest == decisions.input_digest(
        sorted(messages, key=lambda message: message.created_at)
    )


async def test_a_text_after_the_window_is_triaged_again(tmp_path: Path, database_url: str) -> None:
    settings = bundling_settings(tmp_path, database_url)
    async with running_app(settings) as application, citizen_client(application) as client:
        await post_signed(client, SMS_PATH, sms_form(sender=SENDER, body=PARTS[1]))

        async def decisions_made(count: int) -> bool:
            return await count_rows(database_url, "triage_decisions") == count

        await wait_until(lambda: decisions_made(1), what="the first triage")
        await post_signed(client, SMS_PATH, sms_form(sender=SENDER, body=PARTS[2]))
        await wait_until(lambda: decisions_made(2), what="the second triage")


async def test_the_arq_worker_bundles_texts_the_same_way(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    settings = bundling_settings(tmp_path, database_url, redis_url=redis_url)
    async with running_app(settings) as application, citizen_client(application) as client:
        for part in PARTS:
            await post_signed(client, SMS_PATH, sms_form(sender=SENDER, body=part))

    await run_burst_worker(settings)  # the deferred jobs keep a burst worker going until run

    assert await count_rows(database_url, "triage_decisions") == 1
