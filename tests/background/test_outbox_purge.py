"""Completed outbox entries go after a week, in short batches; pending ones stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from service.background.outbox_purge import purge_completed
from service.core.db import create_engine, create_sessionmaker, transaction
from service.models import OutboxEntry
from service.models.types import utcnow
from service.worker import scheduled_jobs
from tests.support.databases import TEST_LIMITS
from tests.support.inspect import fetch_all


async def test_entries_completed_more_than_a_week_ago_are_purged_in_batches(
    database_url: str,
) -> None:
    now = utcnow()
    ages = {"old-1": 30, "old-2": 8, "old-3": 9, "recent": 2, "pending": None}
    engine = create_engine(database_url, TEST_LIMITS)
    sessions = create_sessionmaker(engine)
    try:
        async with transaction(sessions) as session:
            for key, days in ages.items():
                completed = None if days is None else now - timedelta(days=days)
                session.add(
                    OutboxEntry(
                        job_name="send_reply",
                        job_key=key,
                        created_at=now - timedelta(days=40),
                        completed_at=completed,
                    )
                )
        deleted = await purge_completed(sessions, now=now, batch=2)
        again = await purge_completed(sessions, now=now, batch=2)
    finally:
        await engine.dispose()

    left = await fetch_all(database_url, select(col(OutboxEntry.job_key)))
    assert (deleted, again) == (3, 0)
    assert sorted(left) == ["pending", "recent"]
    assert "cron:purge_outbox" in {job.name for job in scheduled_jobs()}
