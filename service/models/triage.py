"""Triage decisions, the cases routing creates, and duplicate links between tips."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, LargeBinary, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from service.models.types import UTCDateTime, utcnow


class TriageDecision(SQLModel, table=True):
    """One automatic decision per (tip, rules version, input); re-running the job adds nothing."""

    __tablename__ = "triage_decisions"
    __table_args__ = (
        UniqueConstraint("tip_id", "rules_version", "input_digest"),
        # A period's decisions in one range (the dashboard: ``effective_since``).
        Index("ix_triage_decisions_created_at", "created_at"),
        # The newest decisions at a place (the duplicate search, ``service.decisions.batch``).
        Index("ix_triage_decisions_place_created_at", "place", "created_at"),
        # A tip's decisions by time: its newest, and whether a newer one exists (joining).
        Index("ix_triage_decisions_tip_id_created_at", "tip_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tip_id: uuid.UUID = Field(foreign_key="tips.id")
    rules_version: str = Field(sa_type=String(64))
    # Digest of the message ids the decision read: a new message from the reporter re-triages.
    input_digest: str = Field(sa_type=String(64))
    category: str = Field(sa_type=String(32))
    substances: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    priority: str = Field(sa_type=String(4), index=True)
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    antenna: str = Field(sa_type=String(16))
    place: str | None = Field(default=None, sa_type=String(120), index=True)
    rules: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The rule hits quote the reporter's own words, so they are sealed like the message text.
    hits_ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    confident: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CaseStatus(StrEnum):
    NEW = "nouveau"
    IN_PROGRESS = "en_cours"
    OPERATION_DONE = "operation_menee"
    CLOSED = "clos"


class Case(SQLModel, table=True):
    """A tip handed to one antenna. Its chief sees it; no other antenna does."""

    __tablename__ = "cases"
    __table_args__ = (
        # Cases still awaiting their chief: the escalation and announcement sweeps, the late
        # cases, the queue's escalated ones. Few at any time, among years of acknowledged ones.
        Index(
            "ix_cases_unacknowledged",
            "ack_deadline",
            postgresql_where=text("acknowledged_at IS NULL"),
            sqlite_where=text("acknowledged_at IS NULL"),
        ),
        # Case lists, most recent first: a chief's antenna, a status, everything; the dashboard.
        Index("ix_cases_antenna_code_created_at", "antenna_code", "created_at"),
        Index("ix_cases_status_created_at", "status", "created_at"),
        Index("ix_cases_created_at", "created_at"),
        # A chief's counts by status, each an index range stopped at the count limit.
        Index("ix_cases_antenna_code_status", "antenna_code", "status"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tip_id: uuid.UUID = Field(foreign_key="tips.id", sa_column_kwargs={"unique": True})
    antenna_code: str = Field(foreign_key="antennas.code", index=True, sa_type=String(16))
    status: CaseStatus = Field(default=CaseStatus.NEW, sa_type=String(24))
    # None when the rules routed it; the duty officer's id otherwise.
    routed_by: uuid.UUID | None = Field(default=None, foreign_key="staff_users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ack_deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DuplicateKind(StrEnum):
    CONFIRMED = "confirmed"
    SUGGESTED = "suggested"


class DuplicateLink(SQLModel, table=True):
    """Shown to officers; nothing is merged automatically."""

    __tablename__ = "duplicate_links"
    __table_args__ = (UniqueConstraint("tip_id", "other_tip_id"),)

    id: int | None = Field(default=None, primary_key=True)
    tip_id: uuid.UUID = Field(foreign_key="tips.id", index=True)
    other_tip_id: uuid.UUID = Field(foreign_key="tips.id", index=True)
    kind: DuplicateKind = Field(sa_type=String(16))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
