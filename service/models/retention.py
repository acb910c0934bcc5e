"""Where retention's numbers pass stopped: the next run carries on from there."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from service.models.types import UTCDateTime


class RetentionCursor(SQLModel, table=True):
    """The last closed tip (by closing time, then id) a pass has looked at.

    A reporter's number can go once their *latest* tip has been closed long enough, so the pass
    walks closed tips in closing order and looks at each reporter when it reaches their tip:
    every tip once, never the whole history again. A tip closed (or written to) again later gets
    a later ``closed_at`` and comes round again, ahead of the cursor.
    """

    __tablename__ = "retention_cursors"

    name: str = Field(sa_type=String(32), primary_key=True)
    closed_at: datetime = Field(sa_type=UTCDateTime)
    tip_id: uuid.UUID
