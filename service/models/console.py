"""Console core: staff sign-in sessions, TOTP replay guard and the hash-chained audit trail."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Integer, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from service.models.types import UTCDateTime, utcnow


class SessionStage(StrEnum):
    """How far a sign-in has got. Only ``active`` sessions reach the console."""

    TOTP = "totp"  # password checked, TOTP code expected
    ENROL = "enrol"  # password checked, no TOTP secret yet: enrolment expected
    PASSWORD_CHANGE = "password_change"  # both factors checked, a new password is required
    ACTIVE = "active"


class StaffSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random id; only its SHA-256 is stored here."""

    __tablename__ = "staff_sessions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    user_id: uuid.UUID = Field(foreign_key="staff_users.id", index=True)
    stage: SessionStage = Field(sa_type=String(24))
    # The secret shown during TOTP enrolment, sealed to this session until a code confirms it.
    pending_totp_ciphertext: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TotpUse(SQLModel, table=True):
    """The last TOTP time step accepted per account, so a code cannot be replayed."""

    __tablename__ = "staff_totp_uses"

    user_id: uuid.UUID = Field(foreign_key="staff_users.id", primary_key=True)
    last_step: int = Field(sa_column=Column(Integer, nullable=False))


class AuditEntry(SQLModel, table=True):
    """One link of the audit chain: its hash covers the previous link's hash and its own fields.

    No foreign key to the accounts: the trail must outlive anything it mentions.
    """

    __tablename__ = "audit_entries"

    sequence: int = Field(
        sa_column=Column(Integer, primary_key=True, autoincrement=False, nullable=False)
    )
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_id: uuid.UUID | None = Field(default=None)
    actor_username: str | None = Field(default=None, sa_type=String(64))
    actor_role: str | None = Field(default=None, sa_type=String(24))
    action: str = Field(sa_type=String(64))
    target: str | None = Field(default=None, sa_type=String(200))
    # Canonical JSON (sorted keys) of a flat str -> str mapping, hashed exactly as stored.
    details_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    previous_hash: str = Field(sa_type=String(64))
    entry_hash: str = Field(sa_type=String(64))
