"""Public API shapes. None carries a password hash, a TOTP secret or a phone number."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from service.models import Role, StaffUser

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"


class StaffPublic(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    username: str
    role: Role
    antenna_code: str | None
    disabled: bool
    must_change_password: bool
    totp_enrolled: bool
    locked_until: datetime | None

    @classmethod
    def of(cls, user: StaffUser) -> StaffPublic:
        return cls(
            id=user.id,
            username=user.username,
            role=Role(user.role),
            antenna_code=user.antenna_code,
            disabled=user.disabled,
            must_change_password=user.must_change_password,
            totp_enrolled=user.totp_secret_ciphertext is not None,
            locked_until=user.locked_until,
        )


class MePublic(StaffPublic):
    """The signed-in person, with the CSRF token to send as ``X-CSRF-Token``."""

    csrf_token: str


class StaffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=USERNAME_PATTERN)
    role: Role
    antenna_code: str | None = Field(default=None, max_length=16)


class StaffCreated(BaseModel):
    """Shown once: the one-time password is stored only as a hash."""

    user: StaffPublic
    one_time_password: str


class StaffUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    antenna_code: str | None = Field(default=None, max_length=16)
    disabled: bool | None = None


class PasswordReset(BaseModel):
    user: StaffPublic
    one_time_password: str


class AntennaPublic(BaseModel):
    code: str
    name: str
    seat: str
    operational: bool
    fallback: str | None


class AntennaUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operational: bool | None = None
    fallback: str | None = Field(default=None, max_length=16)


class RulesVersion(BaseModel):
    version: str
