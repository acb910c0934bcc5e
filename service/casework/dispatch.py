"""Jobs a unit of work wrote to the outbox, to queue right after its commit.

Without this the relay would pick them up anyway, but only after it waits for stragglers; an
officer's question or a chief's alert should leave at once.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from service.models import OutboxEntry


def jobs_written(session: AsyncSession) -> list[OutboxEntry]:
    """Outbox rows added in this session (flushed or not). Call before the session closes."""
    seen = [*session.identity_map.values(), *session.new]
    return [row for row in seen if isinstance(row, OutboxEntry)]
