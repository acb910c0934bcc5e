"""Chiefs' SMS alerts: routing and escalation tell the chief "N nouveaux signalements, dont X
prioritaires" — no reference, no place — through the real Twilio client and a local fake Twilio.
The chief's number is staff data: sealed at rest, never shown back."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from service.casework.jobs import announce_routed_cases, escalate_overdue_cases
from service.casework.vocabulary import URGENT_PRIORITIES
from service.core.db import create_engine, create_sessionmaker, transaction
from service.decisions.routing import route_tip
from service.models import ChiefAlert, OutboxEntry, Role, StaffAlertPhone, Tip, TriageDecision
from service.models.types import utcnow
from service.settings import Settings
from tests.conftest import make_settings
from tests.support.app import http_client, running_app
from tests.support.casework import received_tip, routed_case, settle
from tests.support.console import StaffAccount, create_staff, session_client
from tests.support.databases import TEST_LIMITS
from tests.support.fake_twilio import FakeTwilio, running_fake_twilio
from tests.support.inspect import fetch_all, raw_rows_text

CHIEF_PHONE = "+22366112233"
OTHER_CHIEF_PHONE = "+22366998877"
URGENT = "yamba ka feere Kalaban coura ce soir"
CALM = "bonjour, des gens louches au marché"


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    async with running_fake_twilio() as fake:
        yield fake


@pytest.fixture
def alert_settings(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio, captured_logs: io.StringIO
) -> Settings:
    return make_settings(tmp_path, database_url, twilio_api_base_url=fake_twilio.url)


@pytest.fixture
async def alert_app(alert_settings: Settings) -> AsyncIterator[FastAPI]:
    async with running_app(alert_settings) as application:
        yield application


@pytest.fixture
async def alert_client(alert_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(alert_app) as http:
        yield http


async def _chief_with_phone(
    app: FastAPI, settings: Settings, antenna: str, phone: str
) -> StaffAccount:
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna=antenna)
    async with session_client(app, settings, chief) as http:
        saved = await http.put("/api/v1/alert-phone", json={"phone": phone})
    assert saved.json() == {"configured": True}
    return chief


async def _route(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, text: str, priority: str
) -> dict[str, str]:
    tip = await received_tip(app, client, settings.resolved_database_url, text)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with session_client(app, settings, officer) as http:
        await http.post(f"/api/v1/tips/{tip.id}/corrections", json={"priority": priority})
        case = await routed_case(http, tip, "BKO-RD")
    await settle(app)  # the alert job queued after the routing's commit
    return case


async def test_routing_alerts_the_antennas_chief_with_counts_only(
    alert_app: FastAPI,
    alert_client: httpx.AsyncClient,
    alert_settings: Settings,
    fake_twilio: FakeTwilio,
) -> None:
    await _chief_with_phone(alert_app, alert_settings, "BKO-RD", CHIEF_PHONE)
    await _chief_with_phone(alert_app, alert_settings, "SIK", OTHER_CHIEF_PHONE)

    first = await _route(alert_app, alert_client, alert_settings, URGENT, "P1")
    second = await _route(alert_app, alert_client, alert_settings, CALM, "P3")

    assert [(m.to, m.body) for m in fake_twilio.sent] == [
        (CHIEF_PHONE, "OCS : 1 nouveau signalement, dont 1 prioritaire."),
        (CHIEF_PHONE, "OCS : 2 nouveaux signalements, dont 1 prioritaire."),
    ]
    for message in fake_twilio.sent:
        assert first["reference"] not in message.body
        assert second["reference"] not in message.body
        assert "Kalaban" not in message.body
    assert all(
        alert.sent_at is not None
        for alert in await fetch_all(alert_settings.resolved_database_url, select(ChiefAlert))
    )


async def test_the_counts_follow_the_officers_priority_over_the_rules(
    alert_app: FastAPI,
    alert_client: httpx.AsyncClient,
    alert_settings: Settings,
    fake_twilio: FakeTwilio,
) -> None:
    """What is urgent is what the officer set: a tip the rules found urgent, lowered to P3, is
    not counted; a calm one raised to P1 is."""
    await _chief_with_phone(alert_app, alert_settings, "BKO-RD", CHIEF_PHONE)

    await _route(alert_app, alert_client, alert_settings, URGENT, "P3")
    await _route(alert_app, alert_client, alert_settings, CALM, "P1")

    decided = await fetch_all(
        alert_settings.resolved_database_url,
        select(col(TriageDecision.priority)).order_by(col(TriageDecision.created_at)),
    )
    assert [priority in URGENT_PRIORITIES for priority in decided] == [True, False]
    assert [m.body for m in fake_twilio.sent] == [
        "OCS : 1 nouveau signalement, dont 0 prioritaire.",
        "OCS : 2 nouveaux signalements, dont 1 prioritaire.",
    ]


async def test_escalation_alerts_the_chief_again(
    alert_app: FastAPI,
    alert_client: httpx.AsyncClient,
    alert_settings: Settings,
    fake_twilio: FakeTwilio,
) -> None:
    await _chief_with_phone(alert_app, alert_settings, "BKO-RD", CHIEF_PHONE)
    case = await _route(alert_app, alert_client, alert_settings, URGENT, "P1")
    deadline = datetime.fromisoformat(case["ack_deadline"])

    ctx = {"runtime": alert_app.state.runtime, "clock": lambda: deadline + timedelta(minutes=1)}
    assert await escalate_overdue_cases(ctx) == 1
    await settle(alert_app)

    # The second says the case is late: not one more new tip.
    assert [m.body for m in fake_twilio.sent] == [
        "OCS : 1 nouveau signalement, dont 1 prioritaire.",
        "OCS : RETARD. Dossiers en retard : 1. Non accusés : 1, prioritaires : 1.",
    ]


async def test_a_case_routed_by_the_rules_is_announced_by_the_sweep_once(
    alert_app: FastAPI,
    alert_client: httpx.AsyncClient,
    alert_settings: Settings,
    fake_twilio: FakeTwilio,
) -> None:
    url = alert_settings.resolved_database_url
    await _chief_with_phone(alert_app, alert_settings, "SEG", CHIEF_PHONE)
    tip = await received_tip(alert_app, alert_client, url, "héroïne vendue à Ségou")
    # What the triage job does for a confident decision: route_tip, with no officer.
    engine = create_engine(url, TEST_LIMITS)
    async with transaction(create_sessionmaker(engine)) as session:
        stored = await session.get(Tip, tip.id)
        assert stored is not None
        await route_tip(
            session=session, tip=stored, antenna_code="SEG", ack_minutes=15, now=utcnow()
        )
    await engine.dispose()

    ctx = {"runtime": alert_app.state.runtime}
    announced = [await announce_routed_cases(ctx), await announce_routed_cases(ctx)]
    await settle(alert_app)

    assert announced == [1, 0]
    # Whether the rules found it urgent is triage's business; the count of new cases is ours.
    [sms] = fake_twilio.sent
    assert sms.to == CHIEF_PHONE
    assert re.fullmatch(r"OCS : 1 nouveau signalement, dont [01] prioritaire\.", sms.body)


async def test_a_sweep_queues_one_alert_job_per_antenna_however_many_cases(
    alert_app: FastAPI,
    alert_client: httpx.AsyncClient,
    alert_settings: Settings,
    fake_twilio: FakeTwilio,
) -> None:
    url = alert_settings.resolved_database_url
    await _chief_with_phone(alert_app, alert_settings, "SEG", CHIEF_PHONE)
    texts = [f"héroïne à Ségou, lot {n}" for n in range(3)] + ["chanvre vendu à Kayes"]
    tips = [await received_tip(alert_app, alert_client, url, text) for text in texts]
    engine = create_engine(url, TEST_LIMITS)
    async with transaction(create_sessionmaker(engine)) as session:
        for tip, antenna in zip(tips, ["SEG", "SEG", "SEG", "KAY"], strict=True):
            stored = await session.get(Tip, tip.id)
            assert stored is not None
            await route_tip(
                session=session, tip=stored, antenna_code=antenna, ack_minutes=15, now=utcnow()
            )
    await engine.dispose()

    assert await announce_routed_cases({"runtime": alert_app.state.runtime}) == 4
    await settle(alert_app)

    alert_jobs = await fetch_all(
        url, select(OutboxEntry).where(col(OutboxEntry.job_name) == "alert_antenna_chiefs")
    )
    assert len(alert_jobs) == 2  # Ségou and Kayes, not one per case
    assert all(alert.sent_at is not None for alert in await fetch_all(url, select(ChiefAlert)))
    [sms] = fake_twilio.sent  # Kayes has no chief with an alert number
    assert re.fullmatch(r"OCS : 3 nouveaux signalements, dont [0-3] prioritaires?\.", sms.body)


async def test_no_sms_when_the_antenna_has_no_alert_number(
    alert_app: FastAPI,
    alert_client: httpx.AsyncClient,
    alert_settings: Settings,
    fake_twilio: FakeTwilio,
) -> None:
    await create_staff(alert_settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")

    await _route(alert_app, alert_client, alert_settings, URGENT, "P1")

    assert fake_twilio.sent == []
    [alert] = await fetch_all(alert_settings.resolved_database_url, select(ChiefAlert))
    assert alert.sent_at is not None  # nothing owed any more: no retry storm


async def test_the_alert_number_is_sealed_at_rest_and_never_shown_back(
    alert_app: FastAPI, alert_settings: Settings
) -> None:
    url = alert_settings.resolved_database_url
    chief = await _chief_with_phone(alert_app, alert_settings, "BKO-RD", "66 11 22 33")

    async with session_client(alert_app, alert_settings, chief) as http:
        shown = await http.get("/api/v1/alert-phone")
        page = await http.get("/console/alerte-sms")
        refused = await http.put("/api/v1/alert-phone", json={"phone": "not a number 12"})
        removed = await http.post("/console/alerte-sms", data={"phone": ""})

    assert shown.json() == {"configured": True}
    assert "66112233" not in page.text
    assert "66 11 22 33" not in page.text
    assert (refused.status_code, refused.json()["error"]) == (422, "invalid_phone")
    assert "not a number" not in refused.text
    assert removed.status_code == 303
    assert await fetch_all(url, select(StaffAlertPhone)) == []
    assert "66112233" not in await raw_rows_text(url)


async def test_the_alert_number_ciphertext_is_bound_to_its_account(
    alert_app: FastAPI, alert_settings: Settings
) -> None:
    await _chief_with_phone(alert_app, alert_settings, "BKO-RD", CHIEF_PHONE)
    await _chief_with_phone(alert_app, alert_settings, "SIK", OTHER_CHIEF_PHONE)
    url = alert_settings.resolved_database_url
    first, second = await fetch_all(url, select(StaffAlertPhone))
    assert CHIEF_PHONE.encode() not in first.phone_ciphertext

    from crypto import DecryptionError, Purpose, load_keyring, open_text

    keyring = load_keyring(alert_settings.resolved_keyring_path)
    with pytest.raises(DecryptionError):
        open_text(
            keyring,
            Purpose.IDENTITY,
            first.phone_ciphertext,
            context=f"staff_phone:{second.staff_id}",
        )
