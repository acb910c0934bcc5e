"""Receipt-code attempts on ``/suivi``: limited per client first, slowed down per reference.

Each attempt is counted before the code is checked, in one atomic step of an ``AttemptStore``
(Redis when configured, so every API process counts together; this process's memory otherwise),
and checked only if the counts allow it. A client past its limit is refused for the window. A
reference past its limit is not locked: one attempt goes through per delay, the delay short and
growing (capped), so a third party who knows a reference cannot keep its owner out for long,
and a guesser gets one try per delay. The address and the reference are never stored: the store
keeps a keyed hash. The reference is counted as typed (normalised when it can be), known or not,
so that a limit reached tells nothing about whether a reference exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.rate_limit import AttemptStore, MemoryAttemptStore, claim_attempt


@dataclass(frozen=True)
class AttemptPolicy:
    window_seconds: float
    per_reference: int
    per_client: int
    failure_delay_seconds: float  # the first delay before a wrong code's answer; doubles up to 8x
    reference_delay_seconds: float = 30.0  # past ``per_reference``: one attempt per this, doubling
    reference_max_delay_seconds: float = 300.0


@dataclass(frozen=True)
class Attempt:
    allowed: bool
    counted: int = 0  # how many attempts the reference or the client has made in the window


class FollowUpAttempts:
    def __init__(self, policy: AttemptPolicy, *, store: AttemptStore | None = None) -> None:
        self._policy = policy
        self._store: AttemptStore = store or MemoryAttemptStore(max_keys=50_000)

    async def claim(self, *, reference: str, client: str | None) -> Attempt:
        """Count an attempt, per client first; ``allowed`` when its code may be checked."""
        policy = self._policy
        by_client = 0
        if client is not None:
            claim = await claim_attempt(
                self._store,
                _client_key(client),
                free=policy.per_client,
                window=policy.window_seconds,
                # Past its limit a client is refused for the rest of the window.
                delay_for=lambda _count: policy.window_seconds,
            )
            if claim.wait is not None:
                return Attempt(allowed=False)
            by_client = claim.counted
        claim = await claim_attempt(
            self._store,
            _reference_key(reference),
            free=policy.per_reference,
            window=policy.window_seconds,
            delay_for=self._reference_delay,
        )
        return Attempt(allowed=claim.wait is None, counted=max(claim.counted, by_client))

    def failure_delay(self, attempt: Attempt) -> float:
        """Seconds to wait before answering a wrong code: growing with the attempts."""
        return self._policy.failure_delay_seconds * min(1 << max(attempt.counted - 1, 0), 8)

    async def record_success(self, *, reference: str, client: str | None) -> None:
        await self._store.forget(_reference_key(reference))
        if client is not None:
            await self._store.uncount(_client_key(client))

    def _reference_delay(self, counted: int) -> float:
        policy = self._policy
        delay = policy.reference_delay_seconds * 2 ** min(counted - policy.per_reference, 20)
        return float(min(delay, policy.reference_max_delay_seconds))


def _reference_key(reference: str) -> str:
    return "followup-reference:" + reference


def _client_key(client: str) -> str:
    return "followup-client:" + client
