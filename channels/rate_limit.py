"""Rate limits: sliding windows held in memory, and attempt counters shared across processes.

Keys are phone numbers or IP addresses, so they are never kept as given: each is hashed with a
random per-process key first, and the table forgets a key once its window has passed. Limits are
per API process; with N processes a sender gets at most N times the limit, which is still a cap.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

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


class AttemptStore(Protocol):
    """Attempt counters shared by every process that uses the same store.

    Each call is one atomic step in the store (Redis ``INCR``/``SET NX PX``, or plain code between
    two awaits in one process), so parallel requests are counted one by one and the count is
    checked *after* counting: sixty requests at once cannot all read "no failure yet". Keys are
    given as plain text and kept only as a keyed hash.
    """

    async def count(self, key: str, *, window: float) -> int:
        """Count one attempt; the number counted in the window (which starts at the first)."""
        ...

    async def uncount(self, key: str) -> None:
        """Take one attempt back (it was refused without being checked, or it succeeded)."""
        ...

    async def forget(self, key: str) -> None: ...

    async def hold(self, key: str, *, seconds: float) -> bool:
        """Take the gate ``key`` for ``seconds`` if nobody holds it; True when taken."""
        ...

    async def held_for(self, key: str) -> float:
        """Seconds until the gate ``key`` is free again (0 when it is free)."""
        ...


class MemoryAttemptStore:
    """An ``AttemptStore`` in this process's memory (embedded mode: one process)."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, max_keys: int = _MAX_KEYS
    ) -> None:
        self._clock = clock
        self._salt = secrets.token_bytes(32)
        self._counts: OrderedDict[bytes, tuple[int, float]] = OrderedDict()
        self._gates: OrderedDict[bytes, float] = OrderedDict()
        self._max_keys = max_keys

    async def count(self, key: str, *, window: float) -> int:
        digest, now = self._digest(key), self._clock()
        counted, until = self._counts.pop(digest, (0, now + window))
        if until <= now:
            counted, until = 0, now + window
        self._counts[digest] = (counted + 1, until)
        _trim(self._counts, self._max_keys)
        return counted + 1

    async def uncount(self, key: str) -> None:
        digest = self._digest(key)
        if digest in self._counts:
            counted, until = self._counts[digest]
            self._counts[digest] = (max(0, counted - 1), until)

    async def forget(self, key: str) -> None:
        self._counts.pop(self._digest(key), None)

    async def hold(self, key: str, *, seconds: float) -> bool:
        digest, now = self._digest(key), self._clock()
        if self._gates.get(digest, now) > now:
            return False
        self._gates.pop(digest, None)
        self._gates[digest] = now + seconds
        _trim(self._gates, self._max_keys)
        return True

    async def held_for(self, key: str) -> float:
        return max(0.0, self._gates.get(self._digest(key), 0.0) - self._clock())

    def _digest(self, key: str) -> bytes:
        return hashlib.blake2b(key.encode(), key=self._salt, digest_size=16).digest()


def _trim(table: OrderedDict[bytes, Any], max_keys: int) -> None:
    while len(table) > max_keys:  # the least recently used key goes first
        table.popitem(last=False)


@dataclass(frozen=True)
class Claim:
    """An attempt counted: ``wait`` is None when it may be checked, else the seconds to wait."""

    wait: float | None
    counted: int


async def claim_attempt(
    store: AttemptStore,
    key: str,
    *,
    free: int,
    window: float,
    delay_for: Callable[[int], float],
) -> Claim:
    """Count an attempt, then decide whether it may be checked.

    The first ``free - 1`` attempts in the window go through; from the ``free``-th on, an attempt
    goes through only by taking the gate, which stays closed ``delay_for(n)`` seconds after it:
    one checked attempt per delay, the delay growing with the count. A refused attempt is taken
    back, so hammering a closed gate neither stretches nor grows the delay.
    """
    counted = await store.count(key, window=window)
    if counted < free:
        return Claim(None, counted)
    gate = f"gate:{key}"
    if await store.hold(gate, seconds=delay_for(counted)):
        return Claim(None, counted)
    await store.uncount(key)
    return Claim(max(await store.held_for(gate), 0.001), counted - 1)
