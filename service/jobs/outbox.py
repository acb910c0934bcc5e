"""The outbox relay as a job: queue what a crash or a Redis outage left pending."""

from __future__ import annotations

from typing import Any

from service.runtime import runtime_of


async def relay_outbox(ctx: dict[str, Any]) -> int:
    return await runtime_of(ctx).dispatcher.relay()
