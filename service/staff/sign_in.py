"""Sign-in steps shared by the pages: the password step, the second factor, and finishing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from channels.rate_limit import AttemptStore
from service.core.audit import record_audit
from service.core.db import SessionMaker, transaction
from service.models import SessionStage, StaffSession, StaffUser
from service.models.types import utcnow
from service.staff import lockout, passwords
from service.staff.lockout import ClientThrottle, LockoutPolicy


@dataclass(frozen=True)
class Refusal:
    """Why a step failed: a catalogue key, the HTTP status, and any wait to show."""

    key: str
    status_code: int
    wait: timedelta | None = None

    @property
    def seconds(self) -> int:
        return max(1, int(self.wait.total_seconds()) + 1) if self.wait else 0


def client_throttle(request: Request) -> ClientThrottle:
    throttle: ClientThrottle = request.app.state.client_throttle
    return throttle


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def lockout_policy(request: Request) -> LockoutPolicy:
    return LockoutPolicy.from_settings(request.app.state.settings)


def attempt_store(request: Request) -> AttemptStore:
    store: AttemptStore = request.app.state.runtime.attempts
    return store


async def claim_client(request: Request) -> Refusal | None:
    wait = await client_throttle(request).claim(client_address(request))
    return Refusal("console.sign_in.client_wait", 429, wait) if wait else None


def account_refusal(user: StaffUser, now: datetime) -> Refusal | None:
    wait = lockout.wait_left(user, now)
    return Refusal("console.sign_in.account_wait", 429, wait) if wait else None


async def check_password(
    request: Request, *, session: AsyncSession, username: str, password: str
) -> StaffUser | Refusal:
    """The account when the password is right; a refusal (recorded and counted) otherwise.

    The attempt is counted first (client, then account) and the password checked only when the
    counts allow it; a right password takes its attempt back."""
    refusal = await claim_client(request)
    if refusal:
        return refusal
    user = (
        await session.scalars(select(StaffUser).where(col(StaffUser.username) == username.strip()))
    ).first()
    if refusal := await _claim_account(request, user=user, username=username):
        await record_audit(session=session, actor=user, action="sign_in_refused_locked")
        return refusal
    valid = await passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not valid or user.disabled:
        await _record_failure(session=session, user=user, reason=_reason(user, valid))
        return Refusal("console.sign_in.invalid", 401)
    await client_throttle(request).release(client_address(request))
    await lockout.release_account(session=session, user=user)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = await passwords.hash_password(password)
        session.add(user)
    return user


async def claim_second_factor(
    request: Request, *, session: AsyncSession, user: StaffUser, row: StaffSession
) -> Refusal | None:
    """Count a code attempt before it is checked; a locked account's half-done sign-in ends."""
    wait = await lockout.claim_account(
        session=session, user=user, policy=lockout_policy(request), now=utcnow()
    )
    if wait is None:
        return None
    await session.delete(row)  # locked: the half-done sign-in starts over later
    return Refusal("console.sign_in.account_wait", 429, wait)


async def count_second_factor_failure(
    request: Request, *, session: AsyncSession, user: StaffUser, row: StaffSession
) -> Refusal:
    """A wrong code (already counted by ``claim_second_factor``) is recorded."""
    await _record_failure(session=session, user=user, reason="totp")
    return Refusal("console.sign_in.bad_code", 401)


async def complete_second_factor(*, session: AsyncSession, user: StaffUser) -> SessionStage:
    """Both factors checked: the counters reset and the sign-in is recorded."""
    lockout.register_success(user)
    session.add(user)
    await record_audit(session=session, actor=user, action="sign_in")
    return SessionStage.PASSWORD_CHANGE if user.must_change_password else SessionStage.ACTIVE


async def pending_user(*, session: AsyncSession, row: StaffSession) -> StaffUser | None:
    user = await session.get(StaffUser, row.user_id)
    return None if user is None or user.disabled else user


def first_stage(user: StaffUser) -> SessionStage:
    return SessionStage.TOTP if user.totp_secret_ciphertext else SessionStage.ENROL


async def _claim_account(
    request: Request, *, user: StaffUser | None, username: str
) -> Refusal | None:
    policy = lockout_policy(request)
    if user is None:
        wait = await lockout.claim_unknown_account(attempt_store(request), username, policy)
    else:
        # Committed on its own before the password is checked: the count's row lock would
        # otherwise last through the slow hash check, and a burst of wrong passwords on one
        # account would queue behind it until statements time out (an outage for the console).
        sessions: SessionMaker = request.app.state.runtime.sessions
        async with transaction(sessions) as claim:
            wait = await lockout.claim_account(
                session=claim, user=user, policy=policy, now=utcnow()
            )
    # The same answer whether the account exists or not.
    return Refusal("console.sign_in.account_wait", 429, wait) if wait else None


async def _record_failure(*, session: AsyncSession, user: StaffUser | None, reason: str) -> None:
    # The typed username is not recorded for unknown accounts: it may be a mistyped password.
    await record_audit(
        session=session,
        actor=user,
        action="sign_in_failed",
        details={"reason": reason, "failures": str(user.failed_sign_ins) if user else "-"},
    )


def _reason(user: StaffUser | None, valid: bool) -> str:
    if user is None:
        return "unknown_account"
    if not valid:
        return "password"
    return "disabled"


def user_target(user_id: uuid.UUID | str) -> str:
    return f"staff:{user_id}"
