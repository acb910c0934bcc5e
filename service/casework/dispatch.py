"""Jobs a unit of work wrote to the outbox, to queue right after its commit.

Without this the relay would pick them up anyway, but only after it waits for stragglers; an
officer's question or a chief's alert should leave at once.

The session's identity map holds flushed rows only weakly, so outbox rows are remembered (in
``session.info``) as each flush writes them, whoever added them (``queue_reply`` included).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from service.models import OutboxEntry

_WRITTEN = "tipline_outbox_written"


def _remember_outbox_rows(session: Session, _flush_context: Any, _instances: Any) -> None:
    written: list[OutboxEntry] = session.info.setdefault(_WRITTEN, [])
    written.extend(row for row in session.new if isinstance(row, OutboxEntry))


event.listen(Session, "before_flush", _remember_outbox_rows)


def jobs_written(session: AsyncSession) -> list[OutboxEntry]:
    """Outbox rows added in this session, flushed or not. Call before the session closes."""
    flushed: list[OutboxEntry] = session.info.get(_WRITTEN, [])
    pending = [row for row in session.new if isinstance(row, OutboxEntry)]
    return [*flushed, *(row for row in pending if row not in flushed)]
