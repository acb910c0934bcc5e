"""Staff accounts. Roles are fixed by the public contract."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, LargeBinary, String
from sqlmodel import Field, SQLModel

from service.models.types import UTCDateTime, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    DUTY_OFFICER = "duty_officer"
    OPERATOR = "operator"
    ANTENNA_CHIEF = "antenna_chief"
    AUDITOR = "auditor"


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_users"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    username: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    role: Role = Field(sa_type=String(24))
    antenna_code: str | None = Field(default=None, foreign_key="antennas.code", sa_type=String(16))
    password_hash: str = Field(sa_type=String(200))
    # TOTP secret, sealed with the content key; None until enrolment at first sign-in.
    totp_secret_ciphertext: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    must_change_password: bool = True
    disabled: bool = False
    failed_sign_ins: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
