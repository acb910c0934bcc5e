"""Server-side staff sessions: random ids in cookies, only their SHA-256 in the database."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col
from starlette.responses import Response

from service.models import SessionStage, StaffSession
from service.models.types import utcnow
from service.settings import Settings

SESSION_COOKIE = "tipline_session"
# A sign-in that stopped halfway (password checked, no code yet) does not stay usable for long.
PENDING_LIFETIME = timedelta(minutes=10)
# Touching last_seen_at on every request would write on every page view; once a minute is enough.
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta
    secure_cookies: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionPolicy:
        return cls(
            idle=timedelta(minutes=settings.console_session_idle_minutes),
            absolute=timedelta(hours=settings.console_session_absolute_hours),
            secure_cookies=settings.public_base_url.startswith("https://"),
        )

    def expired(self, row: StaffSession, now: datetime) -> bool:
        if row.stage != SessionStage.ACTIVE:
            return now - row.created_at > PENDING_LIFETIME
        return now - row.last_seen_at > self.idle or now - row.created_at > self.absolute


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def hash_session_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", errors="replace")).hexdigest()


async def open_session(
    *, session: AsyncSession, user_id: uuid.UUID, stage: SessionStage
) -> tuple[StaffSession, str]:
    """A new session row and the cookie value that names it (returned once, never stored)."""
    token = new_session_token()
    row = StaffSession(token_hash=hash_session_token(token), user_id=user_id, stage=stage)
    session.add(row)
    await session.flush()
    return row, token


async def rotate_session(*, session: AsyncSession, row: StaffSession, stage: SessionStage) -> str:
    """Give the session a new id (a fixated or observed old id becomes worthless)."""
    token = new_session_token()
    now = utcnow()
    row.token_hash = hash_session_token(token)
    row.stage = stage
    row.pending_totp_ciphertext = None
    row.created_at = now
    row.last_seen_at = now
    session.add(row)
    await session.flush()
    return token


async def find_session(*, session: AsyncSession, token: str) -> StaffSession | None:
    """The session row a cookie names, expired or not (see ``SessionPolicy.expired``)."""
    return (
        await session.scalars(
            select(StaffSession).where(col(StaffSession.token_hash) == hash_session_token(token))
        )
    ).first()


def touch(row: StaffSession, now: datetime) -> None:
    if now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now


async def purge_expired(*, session: AsyncSession, policy: SessionPolicy) -> None:
    """Forget sessions nobody can use any more (browsers that never came back)."""
    now = utcnow()
    await session.execute(
        delete(StaffSession).where(
            or_(
                col(StaffSession.last_seen_at) < now - max(policy.idle, PENDING_LIFETIME),
                col(StaffSession.created_at) < now - policy.absolute,
            )
        )
    )


async def close_session(*, session: AsyncSession, token: str) -> None:
    await session.execute(
        delete(StaffSession).where(col(StaffSession.token_hash) == hash_session_token(token))
    )


async def close_sessions_of(*, session: AsyncSession, user_id: uuid.UUID) -> None:
    """Sign a person out everywhere (account disabled, TOTP or password reset)."""
    await session.execute(delete(StaffSession).where(col(StaffSession.user_id) == user_id))


def set_session_cookie(response: Response, token: str, policy: SessionPolicy) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(policy.absolute.total_seconds()),
        path="/",
        secure=policy.secure_cookies,
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, policy: SessionPolicy) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=policy.secure_cookies, httponly=True, samesite="strict"
    )
