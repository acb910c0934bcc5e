"""Wrong receipt codes are slowed down and limited, per reference and per client.

Counted in this process's memory only. The client address is never stored or logged: it is
reduced at once to an HMAC under a key drawn at start-up, so not even memory holds it. The
reference is counted as typed (normalised when it can be), known or not, so that a limit
reached tells nothing about whether a reference exists.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict, deque
from dataclasses import dataclass


@dataclass(frozen=True)
class AttemptPolicy:
    window_seconds: float
    per_reference: int
    per_client: int
    failure_delay_seconds: float  # the first delay; it doubles up to 8 times that


class FollowUpAttempts:
    def __init__(self, policy: AttemptPolicy, *, max_keys: int = 50_000) -> None:
        self._policy = policy
        self._key = secrets.token_bytes(32)
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._max_keys = max_keys

    def blocked(self, *, reference: str, client: str | None) -> bool:
        now = time.monotonic()
        return self._count(self._reference_key(reference), now) >= self._policy.per_reference or (
            client is not None
            and self._count(self._client_key(client), now) >= self._policy.per_client
        )

    def record_failure(self, *, reference: str, client: str | None) -> float:
        """Count a wrong code; the delay (seconds) to wait before answering."""
        now = time.monotonic()
        counts = [self._add(self._reference_key(reference), now)]
        if client is not None:
            counts.append(self._add(self._client_key(client), now))
        return self._policy.failure_delay_seconds * min(1 << (max(counts) - 1), 8)

    def record_success(self, *, reference: str) -> None:
        self._failures.pop(self._reference_key(reference), None)

    def _count(self, key: str, now: float) -> int:
        failures = self._failures.get(key)
        if failures is None:
            return 0
        while failures and failures[0] <= now - self._policy.window_seconds:
            failures.popleft()
        return len(failures)

    def _add(self, key: str, now: float) -> int:
        self._count(key, now)
        failures = self._failures.pop(key, None) or deque()
        failures.append(now)
        self._failures[key] = failures  # most recent last: the oldest keys go first when full
        while len(self._failures) > self._max_keys:
            self._failures.popitem(last=False)
        return len(failures)

    def _reference_key(self, reference: str) -> str:
        return "r" + self._digest(reference)

    def _client_key(self, client: str) -> str:
        return "c" + self._digest(client)

    def _digest(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()
