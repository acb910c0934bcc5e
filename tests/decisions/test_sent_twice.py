"""The same report sent twice within minutes makes one case: the later tip, routed by the rules,
joins the open case of the earlier one (closed as merged into it, audited). Another substance,
another place, or the same text hours later opens a case of its own. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlmodel import col

from service.core.db import create_engine, create_sessionmaker, transaction
from service.decisions.joining import JOINED
from service.models import (
    AuditEntry,
    Case,
    DuplicateLink,
    Role,
    Tip,
    TipClosure,
    TipStatus,
    TriageDecision,
)
from service.settings import Settings
from tests.conftest import make_settings
from tests.support.casework import new_sender, received_tip, send_sms, settle, tip_of
from tests.support.console import create_staff, session_client
from tests.support.databases import TEST_LIMITS
from tests.support.inspect import fetch_all

FIRST = "yamba ka feere Kalaban coura ce soir"
AGAIN = "il y a du yamba qui se vend a Kalaban Coura ce soir"


@pytest.fixture
def settings(tmp_path: Path, database_url: str, captured_logs: io.StringIO) -> Settings:
    """As in production: a report sent again within 30 minutes joins the first one's case."""
    return make_settings(tmp_path, database_url, duplicate_join_minutes=30)


async def test_a_report_sent_twice_a_moment_apart_makes_one_case_with_both_tips(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    first = await send_sms(client, sender=new_sender(), body=FIRST)
    again = await send_sms(client, sender=new_sender(), body=AGAIN)
    await settle(app)
    earlier, later = await tip_of(url, first), await tip_of(url, again)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")

    [case] = await fetch_all(url, select(Case))
    assert case.tip_id == earlier.id
    assert later.status == TipStatus.CLOSED
    [closure] = await fetch_all(url, select(TipClosure))
    assert (closure.tip_id, closure.merged_into, closure.closed_by) == (later.id, earlier.id, None)
    [link] = await fetch_all(url, select(DuplicateLink))
    assert (link.tip_id, link.other_tip_id) == (later.id, earlier.id)
    [joined] = await fetch_all(url, select(AuditEntry).where(col(AuditEntry.action) == JOINED))
    assert (joined.target, joined.actor_id) == (f"tip:{again}", None)
    assert first in joined.details_json

    async with session_client(app, settings, chief) as http:
        page = await http.get(f"/console/dossiers/{case.id}")
        api = (await http.get(f"/api/v1/cases/{case.id}")).json()
    assert page.status_code == 200
    assert again in page.text
    assert FIRST in page.text
    assert AGAIN in page.text
    assert api["merged"] == [again]
    assert {line["reference"] for line in api["conversation"]} == {first, again}


async def test_another_substance_place_or_hour_opens_its_own_case(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    hours_ago = await received_tip(app, client, url, FIRST)
    await _received_earlier(url, hours_ago, timedelta(hours=2))

    same_text_later = await received_tip(app, client, url, FIRST)
    other_substance = await received_tip(app, client, url, FIRST.replace("yamba", "cocaine"))
    other_place = await received_tip(app, client, url, FIRST.replace("Kalaban coura", "Banconi"))

    cases = await fetch_all(url, select(col(Case.tip_id)))
    tips = [hours_ago, same_text_later, other_substance, other_place]
    assert sorted(map(str, cases)) == sorted(str(tip.id) for tip in tips)
    assert await fetch_all(url, select(TipClosure)) == []


async def test_joining_turned_off_still_links_the_tips(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    settings.duplicate_join_minutes = 0  # the running app reads this settings object
    url = settings.resolved_database_url
    await received_tip(app, client, url, FIRST)
    await received_tip(app, client, url, AGAIN)

    assert len(await fetch_all(url, select(Case))) == 2
    assert len(await fetch_all(url, select(DuplicateLink))) == 1


async def _received_earlier(url: str, tip: Tip, by: timedelta) -> None:
    """The tip and its case as if they came ``by`` earlier (intake stamps the time itself)."""
    engine = create_engine(url, TEST_LIMITS)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            await session.execute(
                update(Tip)
                .where(col(Tip.id) == tip.id)
                .values(received_at=tip.received_at - by, last_message_at=tip.received_at - by)
            )
            case = (await session.scalars(select(Case).where(col(Case.tip_id) == tip.id))).one()
            case.created_at -= by
    finally:
        await engine.dispose()


async def test_a_case_whose_newest_decision_is_elsewhere_is_not_joined(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    """Only the open case's newest decision counts: decided again at another place, it no
    longer matches the place its first decision named (the look-up filters places in SQL)."""
    url = settings.resolved_database_url
    first = await received_tip(app, client, url, FIRST)
    await _decided_again_elsewhere(url, first, place="Banconi")

    again = await received_tip(app, client, url, AGAIN)

    assert again.status != TipStatus.CLOSED
    assert len(await fetch_all(url, select(Case))) == 2
    assert await fetch_all(url, select(TipClosure)) == []


async def _decided_again_elsewhere(url: str, tip: Tip, *, place: str) -> None:
    """A newer decision of ``tip`` naming ``place``, as a later rules version would store."""
    engine = create_engine(url, TEST_LIMITS)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            [decided] = (
                await session.scalars(
                    select(TriageDecision).where(col(TriageDecision.tip_id) == tip.id)
                )
            ).all()
            assert decided.place not in (None, place)
            newer = TriageDecision.model_validate(
                decided.model_dump()
                | {
                    "id": uuid.uuid4(),
                    "place": place,
                    "rules_version": "later",
                    "created_at": decided.created_at + timedelta(seconds=1),
                }
            )
            session.add(newer)
    finally:
        await engine.dispose()
