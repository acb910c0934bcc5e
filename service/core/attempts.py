"""Attempt counters in Redis, shared by every API process (``channels.rate_limit.AttemptStore``).

Sign-in failures per client and per unknown username, and ``/suivi`` attempts, must hold across
processes: one Redis ``INCR`` (its expiry set when the key is created) or ``SET NX PX`` per
step, so two processes never both read "under the limit". Keys are HMACs under a key derived
from the keyring, the same in every process and never the address or the reference itself.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Callable

from redis.asyncio import Redis

_PREFIX = "tipline:attempts:"


class RedisAttemptStore:
    def __init__(self, url: str, *, secret: Callable[[], bytes]) -> None:
        self._redis: Redis = Redis.from_url(url)
        self._secret = secret

    async def count(self, key: str, *, window: float) -> int:
        name = self._name(key)
        async with self._redis.pipeline(transaction=True) as pipe:
            # Created with its expiry, then incremented: the window starts at the first attempt
            # and no crash between two commands leaves a counter that never expires.
            pipe.set(name, 0, px=_milliseconds(window), nx=True)
            pipe.incr(name)
            _created, counted = await pipe.execute()
        return int(counted)

    async def uncount(self, key: str) -> None:
        name = self._name(key)
        if int(await self._redis.decr(name)) < 0:
            # The counter had expired: DECR made a new one, without expiry. Drop it.
            await self._redis.delete(name)

    async def forget(self, key: str) -> None:
        await self._redis.delete(self._name(key))

    async def hold(self, key: str, *, seconds: float) -> bool:
        return bool(await self._redis.set(self._name(key), 1, px=_milliseconds(seconds), nx=True))

    async def held_for(self, key: str) -> float:
        remaining = int(await self._redis.pttl(self._name(key)))
        return remaining / 1000 if remaining > 0 else 0.0

    async def close(self) -> None:
        await self._redis.aclose()

    def _name(self, key: str) -> str:
        return _PREFIX + hmac.new(self._secret(), key.encode(), hashlib.sha256).hexdigest()


def _milliseconds(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))
