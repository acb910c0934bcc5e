"""The escalation job on the real Redis, run by a burst arq worker whose clock the test sets;
the chief's alerts it queues go out through the same worker."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from arq.connections import ArqRedis
from sqlalchemy import select

from service.models import CaseEscalation, Role
from service.settings import Settings
from service.worker import worker_settings
from tests.conftest import make_settings
from tests.support.app import http_client, running_app
from tests.support.casework import new_sender, routed_case, send_sms, tip_of
from tests.support.console import create_staff, session_client
from tests.support.fake_twilio import FakeTwilio, running_fake_twilio
from tests.support.inspect import fetch_all
from tests.support.redis import run_burst_worker

CHIEF_PHONE = "+22366445566"


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    async with running_fake_twilio() as fake:
        yield fake


@pytest.fixture
def worker_test_settings(
    tmp_path: Path,
    database_url: str,
    redis_url: str,
    fake_twilio: FakeTwilio,
    captured_logs: io.StringIO,
) -> Settings:
    return make_settings(
        tmp_path, database_url, redis_url=redis_url, twilio_api_base_url=fake_twilio.url
    )


def test_the_worker_runs_the_escalation_every_minute(tmp_path: Path) -> None:
    # Its own directory: a keyring left in a shared /tmp by another version must not matter.
    settings = make_settings(tmp_path, "sqlite+aiosqlite:///unused.db", redis_url="redis://x")
    crons = {job.name: job for job in worker_settings(settings)["cron_jobs"]}
    assert crons["cron:escalate_overdue_cases"].second == {5}
    assert crons["cron:escalate_overdue_cases"].minute is None  # every minute
    assert crons["cron:escalate_overdue_cases"].unique is True
    assert "cron:announce_routed_cases" in crons


async def test_a_burst_worker_escalates_a_late_case_and_alerts_the_chief(
    worker_test_settings: Settings, fake_twilio: FakeTwilio, redis_url: str
) -> None:
    settings = worker_test_settings
    url = settings.resolved_database_url
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="MOP")
    async with running_app(settings) as app, http_client(app) as client:
        reference = await send_sms(client, sender=new_sender(), body="chanvre vendu au port")
        tip = await tip_of(url, reference)
        async with session_client(app, settings, chief) as http:
            await http.put("/api/v1/alert-phone", json={"phone": CHIEF_PHONE})
        async with session_client(app, settings, officer) as http:
            await http.post(f"/api/v1/tips/{tip.id}/corrections", json={"priority": "P1"})
            case = await routed_case(http, tip, "MOP")
    deadline = datetime.fromisoformat(case["ack_deadline"])

    await run_burst_worker(settings)  # triage, and the routing's alert
    on_time = await fetch_all(url, select(CaseEscalation))
    redis = ArqRedis.from_url(redis_url)
    await redis.enqueue_job("escalate_overdue_cases", _job_id="escalate-test")
    await redis.aclose()
    late = deadline + timedelta(minutes=2)
    await run_burst_worker(settings, ctx={"clock": lambda: late})

    assert on_time == []
    [escalation] = await fetch_all(url, select(CaseEscalation))
    assert (str(escalation.case_id), escalation.deadline) == (case["id"], deadline)
    assert [(m.to, m.body) for m in fake_twilio.sent] == [
        (CHIEF_PHONE, "OCS : 1 nouveau signalement, dont 1 prioritaire."),
        (CHIEF_PHONE, "OCS : RETARD. Dossiers en retard : 1. Non accusés : 1, prioritaires : 1."),
    ]
