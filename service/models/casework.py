"""What officers and antenna chiefs add to a tip: claims, corrections, closures, notes, grades,
outcomes, escalations, and the chiefs' alert numbers.

The automatic decision is never edited: a correction is stored beside it, and what the console
shows is the decision with the latest corrections laid over it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Float, Index, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models.types import UTCDateTime, utcnow


class TipClaim(SQLModel, table=True):
    """One duty officer works a tip at a time; the primary key makes a second claim fail."""

    __tablename__ = "tip_claims"

    tip_id: uuid.UUID = Field(foreign_key="tips.id", primary_key=True)
    staff_id: uuid.UUID = Field(foreign_key="staff_users.id", index=True)
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TriageCorrection(SQLModel, table=True):
    """An officer's correction; a field left None keeps the value decided before."""

    __tablename__ = "triage_corrections"
    # A period's corrections in one range (the dashboard: ``effective_since``).
    __table_args__ = (Index("ix_triage_corrections_created_at", "created_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tip_id: uuid.UUID = Field(foreign_key="tips.id", index=True)
    # The automatic decision on screen when the officer corrected it.
    decision_id: uuid.UUID | None = Field(default=None, foreign_key="triage_decisions.id")
    category: str | None = Field(default=None, sa_type=String(32))
    priority: str | None = Field(default=None, sa_type=String(4))
    antenna: str | None = Field(default=None, foreign_key="antennas.code", sa_type=String(16))
    corrected_by: uuid.UUID = Field(foreign_key="staff_users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReporterQuestion(SQLModel, table=True):
    """A question staff sent the reporter, and when its asker read the answer.

    The answer is whatever the reporter sends on the tip after the question (an operator's
    transcript of a call aside): from then until the asker opens the tip it is « réponse
    reçue », and the queue shows it to the asker first."""

    __tablename__ = "reporter_questions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tip_id: uuid.UUID = Field(foreign_key="tips.id", index=True)
    asked_by: uuid.UUID = Field(foreign_key="staff_users.id")
    # The outbound message that carries it (its text is sealed there, not here).
    message_id: uuid.UUID = Field(foreign_key="messages.id", unique=True)
    asked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answer_read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ClosureReason(StrEnum):
    SPAM = "spam"
    OUT_OF_SCOPE = "hors_champ"
    MERGED = "fusionne"


class TipClosure(SQLModel, table=True):
    """Why a duty officer closed a tip without routing it, or why the rules merged it into an
    earlier tip whose case it joined (``closed_by`` None: ``service.decisions.joining``)."""

    __tablename__ = "tip_closures"

    tip_id: uuid.UUID = Field(foreign_key="tips.id", primary_key=True)
    reason: ClosureReason = Field(sa_type=String(16))
    merged_into: uuid.UUID | None = Field(default=None, foreign_key="tips.id", index=True)
    closed_by: uuid.UUID | None = Field(default=None, foreign_key="staff_users.id")
    closed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InternalNote(SQLModel, table=True):
    """Officers write about the tip's content, so the note is sealed like the message text."""

    __tablename__ = "internal_notes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tip_id: uuid.UUID = Field(foreign_key="tips.id", index=True)
    author_id: uuid.UUID = Field(foreign_key="staff_users.id")
    body_ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SourceGrade(SQLModel, table=True):
    """Admiralty grading of one tip: source reliability A to F, information credibility 1 to 6."""

    __tablename__ = "source_grades"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tip_id: uuid.UUID = Field(foreign_key="tips.id", index=True)
    source_reliability: str = Field(sa_type=String(1))
    information_credibility: int
    graded_by: uuid.UUID = Field(foreign_key="staff_users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OutcomeKind(StrEnum):
    SEIZURE = "saisie"
    ARRESTS = "interpellations"
    NO_FOLLOW_UP = "sans_suite"


class CaseOutcome(SQLModel, table=True):
    """What came of a case; one operation may record a seizure and arrests as two rows."""

    __tablename__ = "case_outcomes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    kind: OutcomeKind = Field(sa_type=String(16))
    substance: str | None = Field(default=None, sa_type=String(32))
    quantity: float | None = Field(default=None, sa_column=Column(Float))
    unit: str | None = Field(default=None, sa_type=String(16))
    arrests: int | None = None
    recorded_by: uuid.UUID = Field(foreign_key="staff_users.id")
    # The dashboard's outcomes over its window.
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class CaseEscalation(SQLModel, table=True):
    """A case that missed its acknowledgement deadline; one row per (case, deadline) missed."""

    __tablename__ = "case_escalations"
    __table_args__ = (UniqueConstraint("case_id", "deadline"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id", index=True)
    antenna_code: str = Field(foreign_key="antennas.code", sa_type=String(16))
    deadline: datetime = Field(sa_type=UTCDateTime)
    escalated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AlertReason(StrEnum):
    ROUTED = "routage"
    ESCALATED = "escalade"


class ChiefAlert(SQLModel, table=True):
    """An SMS owed to an antenna's chiefs. Pending alerts of one antenna go out as one SMS."""

    __tablename__ = "chief_alerts"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    antenna_code: str = Field(foreign_key="antennas.code", index=True, sa_type=String(16))
    reason: AlertReason = Field(sa_type=String(16))
    # The case that caused it: lets the sweep find routed cases nobody has announced yet.
    case_id: uuid.UUID | None = Field(default=None, foreign_key="cases.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StaffAlertPhone(SQLModel, table=True):
    """A chief's alert number: staff data, sealed with an identity key bound to the account."""

    __tablename__ = "staff_alert_phones"

    staff_id: uuid.UUID = Field(foreign_key="staff_users.id", primary_key=True)
    phone_ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
