"""Sliding-window rate limits held in memory only.

Keys are phone numbers or IP addresses, so they are never kept as given: each is hashed with a
random per-process key first, and the table forgets a key once its window has passed. Limits are
per API process; with N processes a sender gets at most N times the limit, which is still a cap.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import deque
from collections.abc import Callable

_MAX_KEYS = 100_000


class SlidingWindowLimiter:
    def __init__(
        self, *, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window_seconds
        self._clock = clock
        self._salt = secrets.token_bytes(32)
        self._hits: dict[bytes, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count one attempt for ``key``; False once it has used its limit in the window."""
        now = self._clock()
        hits = self._hits.setdefault(self._digest(key), deque())
        while hits and hits[0] <= now - self._window:
            hits.popleft()
        if len(hits) >= self._limit:
            return False
        hits.append(now)
        if len(self._hits) > _MAX_KEYS:
            self._forget_idle(now)
        return True

    def _digest(self, key: str) -> bytes:
        return hashlib.blake2b(key.encode(), key=self._salt, digest_size=16).digest()

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self._window]
        for key in idle:
            del self._hits[key]
