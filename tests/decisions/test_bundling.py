"""A text is decided at once; a further part of the same message (the bundling window) decides the
whole again, replacing the decision unless an officer acted, and moving the routing while nobody
worked the case."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import select, update
from sqlmodel import col

from service.core.db import transaction
from service.decisions import store as decisions
from service.models import (
    Case,
    ChiefAlert,
    Message,
    Role,
    StaffUser,
    Tip,
    TipClaim,
    TipStatus,
    TriageDecision,
)
from service.models.casework import AlertReason
from service.runtime import Runtime
from service.settings import Settings
from tests.conftest import make_settings
from tests.support.app import running_app
from tests.support.channel_fixtures import citizen_client, post_signed, settle
from tests.support.inspect import execute, fetch_all
from tests.support.redis import run_burst_worker
from tests.support.twilio import sms_form

SMS_PATH = "/channels/sms/twilio"
SENDER = "+22371234500"
# Routed by the rules to Rive Droite on its own; with the second part, an official is implicated:
# held for a duty officer, never sent to the local antenna.
FIRST = "Bonsoir. Il y a un camion rempli de yamba garé à Kalaban Coura"
IMPLICATED = "le commissaire de police de Kalaban Coura est complice, il protège le camion"


def bundling_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    return make_settings(tmp_path, database_url, sms_bundle_seconds=60, **overrides)


async def decisions_of(database_url: str) -> list[TriageDecision]:
    return await fetch_all(
        database_url, select(TriageDecision).order_by(col(TriageDecision.created_at))
    )


async def only_tip(database_url: str) -> Tip:
    [tip] = await fetch_all(database_url, select(Tip))
    assert isinstance(tip, Tip)
    return tip


def runtime_of(application: FastAPI) -> Runtime:
    runtime: Runtime = application.state.runtime
    return runtime


async def officer_claims(application: FastAPI, tip_id: uuid.UUID) -> None:
    officer = StaffUser(username="permanence", role=Role.DUTY_OFFICER, password_hash="x")
    async with transaction(runtime_of(application).sessions) as session:
        session.add(officer)
        await session.flush()
        session.add(TipClaim(tip_id=tip_id, staff_id=officer.id))


async def chief_alerted(application: FastAPI, case: Case) -> None:
    async with transaction(runtime_of(application).sessions) as session:
        session.add(
            ChiefAlert(antenna_code=case.antenna_code, reason=AlertReason.ROUTED, case_id=case.id)
        )


async def test_a_text_is_decided_at_once_and_a_further_part_replaces_the_decision_and_routing(
    tmp_path: Path, database_url: str
) -> None:
    settings = bundling_settings(tmp_path, database_url)
    async with running_app(settings) as application, citizen_client(application) as client:
        await post_signed(client, SMS_PATH, sms_form(sender=SENDER, body=FIRST))
        await settle(application)
        [first] = await decisions_of(database_url)
        tip = await only_tip(database_url)
        assert tip.status == TipStatus.ROUTED  # decided without waiting for the window
        [case] = await fetch_all(database_url, select(Case))
        assert case.antenna_code == first.antenna == "BKO-RD"
        await chief_alerted(application, case)

        await post_signed(client, SMS_PATH, sms_form(sender=SENDER, body=IMPLICATED))
        await settle(application)

    history = await decisions_of(database_url)
    assert [d.id for d in history[:1]] == [first.id]  # kept in the decision history
    latest = history[-1]
    messages = await fetch_all(database_url, select(Message).order_by(col(Message.created_at)))
    assert len(history) == 2
    assert latest.input_digest == decisions.input_digest(messages)
    assert "agent_public" in latest.flags
    # The rules' routing follows: the case is taken back from the local antenna.
    assert (await only_tip(database_url)).status == TipStatus.AWAITING_OFFICER
    assert await fetch_all(database_url, select(Case)) == []
    [alert] = await fetch_all(database_url, select(ChiefAlert))
    assert alert.case_id is None


async def test_a_further_part_keeps_the_decision_an_officer_acted_on(
    tmp_path: Path, database_url: str
) -> None:
    settings = bundling_settings(tmp_path, database_url)
    async with running_app(settings) as application, citizen_client(application) as client:
        await post_signed(client, SMS_PATH, sms_form(sender=SENDER, body=FIRST))
        await settle(application)
        tip = await only_tip(database_url)
        await officer_claims(application, tip.id)

        await post_signed(client, SMS_PATH, sms_form(sender=SENDER, body=IMPLICATED))
        await settle(application)

    [decision] = await decisions_of(database_url)
    assert decision.antenna == "BKO-RD"
    assert (await only_tip(database_url)).status == TipStatus.ROUTED
    [case] = await fetch_all(database_url, select(Case))
    assert case.antenna_code == "BKO-RD"


async def test_a_further_part_leaves_a_case_its_chief_acknowledged_where_it_is(
    tmp_path: Path, database_url: str
) -> None:
    settings = bundling_settings(tmp_path, database_url)
    async with running_app(settings) as application, citizen_client(application) as client:
        await post_signed(client, SMS_PATH, sms_form(sender=SENDER, body=FIRST))
        await settle(application)
        await execute(database_url, update(Case).values(acknowledged_at=col(Case.created_at)))

        await post_signed(client, SMS_PATH, sms_form(sender=SENDER, body=IMPLICATED))
        await settle(application)

    first, latest = await decisions_of(database_url)
    assert "agent_public" in latest.flags  # the decision is replaced…
    assert (await only_tip(database_url)).status == TipStatus.ROUTED  # …the routing stands
    [case] = await fetch_all(database_url, select(Case))
    assert case.antenna_code == first.antenna


async def test_a_text_after_the_window_is_decided_again_without_moving_the_routing(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, sms_bundle_seconds=0.3)
    async with running_app(settings) as application, citizen_client(application) as client:
        await post_signed(client, SMS_PATH, sms_form(sender=SENDER, body=FIRST))
        await settle(application)
        await asyncio.sleep(0.4)
        await post_signed(client, SMS_PATH, sms_form(sender=SENDER, body=IMPLICATED))
        await settle(application)

    assert len(await decisions_of(database_url)) == 2
    assert (await only_tip(database_url)).status == TipStatus.ROUTED


async def test_the_arq_worker_decides_texts_stored_before_it_ran_once_together(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    settings = bundling_settings(tmp_path, database_url, redis_url=redis_url)
    async with running_app(settings) as application, citizen_client(application) as client:
        for part in (FIRST, IMPLICATED):
            await post_signed(client, SMS_PATH, sms_form(sender=SENDER, body=part))

    await run_burst_worker(settings)

    [decision] = await decisions_of(database_url)
    messages = await fetch_all(database_url, select(Message).order_by(col(Message.created_at)))
    assert decision.input_digest == decisions.input_digest(messages)
    assert (await only_tip(database_url)).status == TipStatus.AWAITING_OFFICER
