"""The transactional outbox: a job to run, written in the same transaction as the data it names."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from service.models.types import UTCDateTime, utcnow


class OutboxEntry(SQLModel, table=True):
    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    job_name: str = Field(sa_type=String(64))
    # Ids only (style rule 6): arq pickles arguments into Redis.
    job_args: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Also the arq ``_job_id``: the same entry can never be queued twice at once.
    job_key: str = Field(sa_column=Column(String(160), unique=True, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Set by the job itself when it finished: until then the relay may queue the entry again.
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # When the relay last queued it, so a long backlog is not re-sent on every pass.
    relayed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    relay_count: int = 0
