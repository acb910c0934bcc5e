"""Growing delays, then lock-out, after failed sign-ins: per account and per client address.

Every attempt is counted *before* it is checked, in one atomic step, and checked only if the
count allows it: for an account, one ``UPDATE … RETURNING`` that counts and sets the lock only
while the account is not locked; for a client address and for a username that names no account,
an ``AttemptStore`` (Redis when configured, so every API process shares it; memory otherwise).
Sixty wrong passwords sent at once therefore check at most the limit, and an unknown username
is delayed and locked exactly like a known one, so the answers do not tell them apart.
An attempt that succeeds is taken back. Addresses are never stored: the store keeps a keyed hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, null, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col

from channels.rate_limit import AttemptStore, MemoryAttemptStore, claim_attempt
from service.models import StaffUser
from service.settings import Settings

# An unknown username's failures are forgotten after this long without one (a known account's
# only by a successful sign-in; the lock-out itself lasts ``lockout``).
_UNKNOWN_ACCOUNT_MEMORY = timedelta(days=1)


@dataclass(frozen=True)
class LockoutPolicy:
    delay_after: int  # failures allowed before the first delay
    lockout_after: int  # failures that lock the account for ``lockout``
    lockout: timedelta
    first_delay: timedelta = timedelta(seconds=5)

    @classmethod
    def from_settings(cls, settings: Settings) -> LockoutPolicy:
        return cls(
            delay_after=settings.console_sign_in_delay_after,
            lockout_after=settings.console_lockout_after,
            lockout=timedelta(minutes=settings.console_lockout_minutes),
        )

    def delay_for(self, failures: int) -> timedelta | None:
        """5 s, 10 s, 20 s… after ``delay_after`` failures; full lock-out at ``lockout_after``."""
        if failures >= self.lockout_after:
            return self.lockout
        if failures < self.delay_after:
            return None
        delay: timedelta = self.first_delay * 2 ** (failures - self.delay_after)
        return min(delay, self.lockout)


async def claim_account(
    *, session: AsyncSession, user: StaffUser, policy: LockoutPolicy, now: datetime
) -> timedelta | None:
    """Count an attempt on ``user`` unless it is locked; None when it may be checked, else the
    wait left. One statement: the count and the lock it earns are written together, and only
    while the account is not locked, so parallel attempts cannot all pass."""
    counted = col(StaffUser.failed_sign_ins) + 1
    statement = (
        update(StaffUser)
        .where(col(StaffUser.id) == user.id)
        .where((col(StaffUser.locked_until).is_(None)) | (col(StaffUser.locked_until) <= _at(now)))
        .values(failed_sign_ins=counted, locked_until=_lock_earned(counted, policy, now))
        .returning(col(StaffUser.failed_sign_ins), col(StaffUser.locked_until))
        .execution_options(synchronize_session=False)
    )
    row = (await session.execute(statement)).first()
    if row is not None:
        set_committed_value(user, "failed_sign_ins", row[0])
        set_committed_value(user, "locked_until", row[1])
        return None
    locked_until = await session.scalar(
        select(col(StaffUser.locked_until)).where(col(StaffUser.id) == user.id)
    )
    set_committed_value(user, "locked_until", locked_until)
    return wait_left(user, now) or timedelta(seconds=1)


async def release_account(*, session: AsyncSession, user: StaffUser) -> None:
    """The password was right: its attempt is taken back, and the delay it earned lifted."""
    less = col(StaffUser.failed_sign_ins) - 1
    on_postgresql = session.get_bind().dialect.name == "postgresql"
    floor = func.greatest(less, 0) if on_postgresql else func.max(less, 0)
    statement = (
        update(StaffUser)
        .where(col(StaffUser.id) == user.id)
        .values(failed_sign_ins=floor, locked_until=None)
        .returning(col(StaffUser.failed_sign_ins))
        .execution_options(synchronize_session=False)
    )
    counted = await session.scalar(statement)
    set_committed_value(user, "failed_sign_ins", counted or 0)
    set_committed_value(user, "locked_until", None)


async def claim_unknown_account(
    store: AttemptStore, username: str, policy: LockoutPolicy
) -> timedelta | None:
    """A username that names no account is counted and locked exactly like an account."""
    claim = await claim_attempt(
        store,
        "sign-in-username:" + username.strip().casefold(),
        free=policy.delay_after,
        window=_UNKNOWN_ACCOUNT_MEMORY.total_seconds(),
        delay_for=lambda failures: _seconds(policy.delay_for(failures)),
    )
    return timedelta(seconds=claim.wait) if claim.wait is not None else None


def _lock_earned(counted: Any, policy: LockoutPolicy, now: datetime) -> Any:
    """SQL for the lock the ``counted``-th failure earns: ``now + delay_for(counted)``."""
    whens: list[tuple[Any, Any]] = [(counted >= policy.lockout_after, _at(now + policy.lockout))]
    for failures in range(policy.delay_after, policy.lockout_after):
        delay = policy.delay_for(failures)
        if delay is not None:
            whens.append((counted == failures, _at(now + delay)))
    return case(*whens, else_=null())


def _at(moment: datetime) -> Any:
    return bindparam(None, moment, type_=StaffUser.__table__.c.locked_until.type)  # type: ignore[attr-defined]


def _seconds(delay: timedelta | None) -> float:
    return delay.total_seconds() if delay is not None else 0.0


def wait_left(user: StaffUser, now: datetime) -> timedelta | None:
    if user.locked_until is None or user.locked_until <= now:
        return None
    return user.locked_until - now


def register_failure(user: StaffUser, policy: LockoutPolicy, now: datetime) -> None:
    user.failed_sign_ins += 1
    delay = policy.delay_for(user.failed_sign_ins)
    user.locked_until = now + delay if delay is not None else None


def register_success(user: StaffUser) -> None:
    user.failed_sign_ins = 0
    user.locked_until = None


@dataclass
class _ClientRecord:
    failures: int
    blocked_until: datetime | None
    last_failure: datetime


class ClientThrottle:
    """Failed sign-ins per client address, in memory, forgotten after an hour of quiet."""

    def __init__(
        self,
        *,
        delay_after: int = 10,
        first_delay: timedelta = timedelta(seconds=2),
        max_delay: timedelta = timedelta(minutes=15),
        forget_after: timedelta = timedelta(hours=1),
        max_clients: int = 10_000,
        store: AttemptStore | None = None,
    ) -> None:
        self._key = secrets.token_bytes(32)
        self._records: OrderedDict[str, _ClientRecord] = OrderedDict()
        self._delay_after = delay_after
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._forget_after = forget_after
        self._max_clients = max_clients
        self._store: AttemptStore = store or MemoryAttemptStore(max_keys=max_clients)

    async def claim(self, address: str) -> timedelta | None:
        """Count an attempt from ``address``; None when it may be checked, else the wait."""
        claim = await claim_attempt(
            self._store,
            "sign-in-client:" + address,
            free=self._delay_after,
            window=self._forget_after.total_seconds(),
            delay_for=self._delay_seconds,
        )
        return timedelta(seconds=claim.wait) if claim.wait is not None else None

    async def release(self, address: str) -> None:
        """A right password: the attempt is not a failure."""
        await self._store.uncount("sign-in-client:" + address)

    def _delay_seconds(self, failures: int) -> float:
        delay: timedelta = self._first_delay * 2 ** min(failures - self._delay_after, 20)
        return min(delay, self._max_delay).total_seconds()

    def wait_left(self, address: str, now: datetime) -> timedelta | None:
        record = self._records.get(self._digest(address))
        if record is None or record.blocked_until is None or record.blocked_until <= now:
            return None
        return record.blocked_until - now

    def register_failure(self, address: str, now: datetime) -> None:
        digest = self._digest(address)
        record = self._records.pop(digest, None)
        if record is None or now - record.last_failure > self._forget_after:
            record = _ClientRecord(failures=0, blocked_until=None, last_failure=now)
        record.failures += 1
        record.last_failure = now
        if record.failures >= self._delay_after:
            delay = self._first_delay * 2 ** min(record.failures - self._delay_after, 20)
            record.blocked_until = now + min(delay, self._max_delay)
        self._records[digest] = record
        while len(self._records) > self._max_clients:  # the oldest record goes first
            self._records.popitem(last=False)

    def _digest(self, address: str) -> str:
        return hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()
