"""Completed outbox entries deleted once nobody needs them, a short batch at a time.

An entry is kept after its job completed so that a retried delivery finds its key already used
and a support question about a recent job has an answer; after a week it is only weight (half a
gigabyte at a million tips). Each batch is its own short transaction, oldest first, through the
index on ``completed_at``: a large backlog never holds intake's inserts behind one long delete.
Entries not completed are never touched: the relay still owes them to the queue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlmodel import col

from service.core.db import SessionMaker, transaction
from service.models import OutboxEntry

KEEP_COMPLETED = timedelta(days=7)
PURGE_BATCH = 5_000
# A run stops after this many batches; the next one carries on.
PURGE_MAX_BATCHES = 200


async def purge_completed(
    sessions: SessionMaker,
    *,
    now: datetime,
    keep: timedelta = KEEP_COMPLETED,
    batch: int = PURGE_BATCH,
    max_batches: int = PURGE_MAX_BATCHES,
) -> int:
    """Delete entries completed more than ``keep`` ago; how many were deleted."""
    deleted = 0
    for _ in range(max_batches):
        oldest = (
            select(col(OutboxEntry.id))
            .where(col(OutboxEntry.completed_at) < now - keep)
            .order_by(col(OutboxEntry.completed_at))
            .limit(batch)
        )
        async with transaction(sessions) as session:
            result = await session.execute(
                delete(OutboxEntry).where(col(OutboxEntry.id).in_(oldest.scalar_subquery()))
            )
        count = int(getattr(result, "rowcount", 0) or 0)
        deleted += count
        if count < batch:
            break
    return deleted
