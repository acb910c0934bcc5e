"""What one process holds: database, keyring, rules, job queue, Twilio — shared by its requests
and jobs. Built by ``service.startup``; jobs reach it through ``ctx``. Imports no domain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from channels.rate_limit import AttemptStore, MemoryAttemptStore
from crypto import Keyring
from service.background.backends import JobQueue
from service.background.outbox import OutboxDispatcher
from service.core.db import SessionMaker
from service.core.rules import RulesHolder
from service.core.twilio import TwilioClient
from service.settings import Settings


# Compared and hashed by identity: domains key their per-process state by it.
@dataclass(eq=False)
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionMaker
    keyring: Keyring
    rules: RulesHolder
    queue: JobQueue
    dispatcher: OutboxDispatcher
    background: list[asyncio.Task[None]] = field(default_factory=list)
    # None when Twilio is not configured: then nothing is sent.
    twilio: TwilioClient | None = None
    # Jobs that hold a row lock (and so a database connection) while Twilio answers — a reply,
    # a chief's alert — take a slot: a burst of them cannot drain the pool (service.core.db)
    # that the worker's hundreds of concurrent jobs share.
    twilio_send_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(10))
    # Sign-in and follow-up attempt counters: in Redis when configured, shared by every process.
    attempts: AttemptStore = field(default_factory=MemoryAttemptStore)
    # What the domains attached to this process (the triage batcher, the spool): closed after
    # the queue, so that no job can hand them more work.
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def close(self) -> None:
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        await self.queue.close()
        for closer in self.closers:
            await closer()
        if self.twilio is not None:
            await self.twilio.close()
        await self.engine.dispose()


def runtime_of(ctx: dict[str, Any]) -> Runtime:
    runtime: Runtime = ctx["runtime"]
    return runtime
