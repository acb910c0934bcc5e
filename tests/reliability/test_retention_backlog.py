"""Retention that finishes: bounded pages through partial indexes, a backlog worked off over
successive runs, each closed tip read once by the numbers pass, and the clock that a late message
on a closed tip restarts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crypto import load_or_create_keyring, new_pseudonym
from service.core.db import create_engine, create_sessionmaker, transaction
from service.models import Reporter, RetentionCursor, Tip, TipStatus
from service.models.types import utcnow
from service.retention.service import (
    RetentionPolicy,
    destroy_expired_identities,
    erase_expired_content,
)
from tests.channels.test_web_followup import access_of, file_report, open_mailbox
from tests.channels.test_web_form import token_of
from tests.support.backlog import add_backlog
from tests.support.channel_fixtures import runtime_of_app, settle
from tests.support.databases import TEST_LIMITS
from tests.support.plans import capturing_selects, plan_of, plans_of

DAY = timedelta(days=1)
POLICY = RetentionPolicy.of_days(identity_days=90, content_days=365)


async def _reporters(url: str, count: int) -> list[uuid.UUID]:
    """Sources whose number is still held (the bytes stand for a sealed number)."""
    reporters = [
        Reporter(blind_index=uuid.uuid4().hex * 2, identity_ciphertext=b"sealed", pseudonym=p)
        for p in {new_pseudonym() for _ in range(count)}
    ]
    engine = create_engine(url, TEST_LIMITS)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            session.add_all(reporters)
    finally:
        await engine.dispose()
    return [reporter.id for reporter in reporters]


async def _old_closed_history(url: str, reporters: list[uuid.UUID], per_reporter: int) -> None:
    """Each reporter's tips, closed more than a year ago."""
    newest = utcnow() - 400 * DAY
    for reporter_id in reporters:
        await add_backlog(
            url,
            count=per_reporter,
            priority="P3",
            newest=newest,
            status=TipStatus.CLOSED,
            reporter_id=reporter_id,
        )


async def test_a_backlog_is_worked_off_in_bounded_pages_over_successive_runs(
    database_url: str, tmp_path: Path
) -> None:
    keyring, _ = load_or_create_keyring(tmp_path / "keyring.json")
    reporters = await _reporters(database_url, 5)
    await _old_closed_history(database_url, reporters, per_reporter=90)  # 450 tips
    engine = create_engine(database_url, TEST_LIMITS)
    sessions = create_sessionmaker(engine)
    now = utcnow()
    try:
        erased = []
        for _ in range(6):  # each call is one page of one run
            async with transaction(sessions) as session:
                page = await erase_expired_content(
                    session=session, keyring=keyring, policy=POLICY, now=now, limit=100
                )
            erased.append((page.changed, page.more))
        assert erased == [(100, True)] * 4 + [(50, False), (0, False)]

        destroyed = []
        for _ in range(6):
            async with transaction(sessions) as session:
                page = await destroy_expired_identities(
                    session=session, policy=POLICY, now=now, limit=100
                )
            destroyed.append(page)
        # 450 tips read once each, in pages of 100; a reporter is looked at on each page that
        # holds one of their tips, destroyed on the first.
        assert sum(page.changed for page in destroyed) == 5
        assert [page.more for page in destroyed] == [True] * 4 + [False, False]
        async with sessions() as session:
            held = await session.scalar(
                select(func.count())
                .select_from(Reporter)
                .where(col(Reporter.identity_ciphertext).is_not(None))
            )
            cursor = await session.get(RetentionCursor, "identities")
            last = await session.scalar(select(func.max(col(Tip.closed_at))))
        assert held == 0
        assert cursor is not None
        assert cursor.closed_at == last
    finally:
        await engine.dispose()


async def test_a_source_whose_last_tip_closes_later_is_reached_past_the_cursor(
    database_url: str,
) -> None:
    [reporter_id] = await _reporters(database_url, 1)
    await _old_closed_history(database_url, [reporter_id], per_reporter=3)
    [open_tip] = await add_backlog(
        database_url, count=1, priority="P2", newest=utcnow(), reporter_id=reporter_id
    )
    engine = create_engine(database_url, TEST_LIMITS)
    sessions = create_sessionmaker(engine)
    try:
        async with transaction(sessions) as session:
            first = await destroy_expired_identities(session=session, policy=POLICY, now=utcnow())
        assert first.changed == 0  # a tip is still open: the number may be needed for a reply
        closed_at = utcnow()
        async with transaction(sessions) as session:
            tip = await session.get(Tip, open_tip)
            assert tip is not None
            tip.mark_closed(closed_at)
        async with transaction(sessions) as session:
            early = await destroy_expired_identities(
                session=session, policy=POLICY, now=closed_at + 89 * DAY
            )
        async with transaction(sessions) as session:
            due = await destroy_expired_identities(
                session=session, policy=POLICY, now=closed_at + 91 * DAY
            )
        assert (early.changed, due.changed) == (0, 1)
    finally:
        await engine.dispose()


async def test_an_answer_on_a_closed_tip_restarts_its_retention_clock(
    channel_app: FastAPI, channel_client: httpx.AsyncClient
) -> None:
    runtime = runtime_of_app(channel_app)
    reference, code = await file_report(channel_client)
    await settle(channel_app)
    closed_at = utcnow() - 10 * DAY  # closed (the clock says) ten days ago
    async with transaction(runtime.sessions) as session:
        (await _tip(session, reference)).mark_closed(closed_at)
    mailbox = await open_mailbox(channel_client, reference, code)
    answer = {
        "jeton": token_of(mailbox.text),
        "acces": access_of(mailbox.text),
        "reference": reference,
        "reponse": "Il est revenu ce matin avec deux sacs.",
    }
    assert (await channel_client.post("/suivi/message", data=answer)).status_code == 200
    await settle(channel_app)

    async with runtime.sessions() as session:
        restarted = (await _tip(session, reference)).closed_at
    assert restarted is not None
    assert restarted > closed_at + 9 * DAY
    async with transaction(runtime.sessions) as session:
        page = await erase_expired_content(
            session=session, keyring=runtime.keyring, policy=POLICY, now=closed_at + 366 * DAY
        )
    assert page.changed == 0  # a year after the closing, but not after the last message


async def test_retention_pages_read_through_their_partial_indexes(
    database_url: str, tmp_path: Path
) -> None:
    keyring, _ = load_or_create_keyring(tmp_path / "keyring.json")
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("query plans are PostgreSQL's")
    reporters = await _reporters(database_url, 3)
    await _old_closed_history(database_url, reporters, per_reporter=500)
    await add_backlog(database_url, count=500, priority="P2", newest=utcnow())  # open work
    engine = create_engine(database_url, TEST_LIMITS)
    now = utcnow()
    try:
        with capturing_selects(engine) as captured:
            async with create_sessionmaker(engine)() as session, session.begin():
                await destroy_expired_identities(session=session, policy=POLICY, now=now)
                await erase_expired_content(
                    session=session, keyring=keyring, policy=POLICY, now=now, limit=1
                )
                await session.rollback()
    finally:
        await engine.dispose()

    plans = await plans_of(database_url, captured)
    assert [plan for _, plan in plans if "Seq Scan on tips" in plan] == []
    assert "ix_tips_closed_at" in plan_of(plans, "tips.reporter_id \nFROM tips")
    assert "ix_tips_content_to_erase" in plan_of(plans, "tips.content_erased_at IS NULL")


async def _tip(session: AsyncSession, reference: str) -> Tip:
    tip: Tip = (await session.scalars(select(Tip).where(col(Tip.reference) == reference))).one()
    return tip
