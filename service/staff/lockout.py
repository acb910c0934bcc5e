"""Growing delays, then lock-out, after failed sign-ins: per account and per client address.

The per-client record lives in this process's memory only (addresses are never stored), keyed
by an HMAC under a key drawn at start-up, so not even memory holds the address itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from service.models import StaffUser
from service.settings import Settings


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
    ) -> None:
        self._key = secrets.token_bytes(32)
        self._records: OrderedDict[str, _ClientRecord] = OrderedDict()
        self._delay_after = delay_after
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._forget_after = forget_after
        self._max_clients = max_clients

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
