"""The shared parts one process holds: database, keyring, rules, queue, intake.

Built once by the API's lifespan or the worker's start-up; jobs reach it through ``ctx``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from crypto import Keyring, load_keyring
from service.batching import MicroBatcher
from service.db import SessionMaker, create_engine, create_sessionmaker
from service.intake import IntakeService
from service.outbox import OutboxDispatcher
from service.queue import ArqQueue, InProcessQueue, JobQueue
from service.rules_holder import RulesHolder
from service.settings import Settings
from service.spool import IntakeSpool
from service.triage_batch import TriageRequest
from service.twilio_client import TwilioClient

log = structlog.get_logger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionMaker
    keyring: Keyring
    rules: RulesHolder
    queue: JobQueue
    dispatcher: OutboxDispatcher
    intake: IntakeService
    background: list[asyncio.Task[None]] = field(default_factory=list)
    # What intake kept on this host's disk while the database was down (see service.spool).
    spool: IntakeSpool | None = None
    # None when Twilio is not configured: then nothing is sent.
    twilio: TwilioClient | None = None
    # Jobs that hold a row lock (and so a database connection) while Twilio answers — a reply,
    # a chief's alert — take a slot: a burst of them cannot drain the pool (service.db) that
    # the worker's hundreds of concurrent jobs share.
    twilio_send_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(10))
    # The triage jobs running at once are decided together (service.jobs.triage).
    triage_batcher: MicroBatcher[TriageRequest, str] | None = None

    async def close(self) -> None:
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        if self.spool is not None:
            self.spool.close()
        await self.queue.close()
        if self.triage_batcher is not None:  # after the queue: no job can hand it more work
            await self.triage_batcher.close()
        if self.twilio is not None:
            await self.twilio.close()
        await self.engine.dispose()


def runtime_of(ctx: dict[str, Any]) -> Runtime:
    runtime: Runtime = ctx["runtime"]
    return runtime


async def open_runtime(settings: Settings) -> Runtime:
    """In embedded mode (no Redis) the jobs run here, on an in-process queue."""
    engine = create_engine(settings.resolved_database_url)
    sessions = create_sessionmaker(engine)
    ctx: dict[str, Any] = {}
    queue: JobQueue
    if settings.redis_url:
        queue = ArqQueue(settings.redis_url)
    else:
        from service.jobs import JOB_FUNCTIONS  # the jobs import the runtime: import late

        queue = InProcessQueue(JOB_FUNCTIONS, ctx)
    dispatcher = OutboxDispatcher(sessions=sessions, queue=queue)
    keyring = load_keyring(settings.resolved_keyring_path)
    spool = IntakeSpool(settings.data_dir / "spool", keyring)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        keyring=keyring,
        rules=RulesHolder(settings.rules_path, settings.gazetteer_path),
        queue=queue,
        dispatcher=dispatcher,
        intake=IntakeService(
            sessions=sessions,
            keyring=keyring,
            dispatcher=dispatcher,
            conversation_window=timedelta(days=settings.conversation_window_days),
            spool=spool,
            bundle_window=timedelta(seconds=settings.sms_bundle_seconds),
        ),
        twilio=open_twilio_client(settings),
    )
    runtime.spool = spool
    ctx["runtime"] = runtime
    runtime.background.append(asyncio.create_task(_replay_spool_forever(runtime)))
    if isinstance(queue, InProcessQueue):
        queue.start()
        runtime.background.append(asyncio.create_task(_relay_forever(runtime)))
        from service.jobs.retention import retain_forever  # imports the runtime: import late

        runtime.background.append(asyncio.create_task(retain_forever(ctx)))
        from service.jobs.escalation import watch_deadlines  # imports the runtime: import late

        runtime.background.append(asyncio.create_task(watch_deadlines(ctx)))
    return runtime


def open_twilio_client(settings: Settings) -> TwilioClient | None:
    if not settings.twilio_configured:
        return None
    assert settings.twilio_account_sid is not None
    assert settings.twilio_auth_token is not None
    return TwilioClient(
        account_sid=settings.twilio_account_sid,
        auth_token=settings.twilio_auth_token.get_secret_value(),
        sms_from=settings.twilio_from,
        whatsapp_from=settings.twilio_whatsapp_from,
        api_base_url=settings.twilio_api_base_url,
    )


async def _relay_forever(runtime: Runtime) -> None:
    """Embedded mode's outbox relay: at start-up everything pending, then periodically."""
    try:
        await runtime.dispatcher.relay(older_than=timedelta(0))
    except (SQLAlchemyError, OSError) as error:  # the database is down at start-up: tick on
        log.warning("outbox_relay_failed", error=type(error).__name__)
    while True:
        await asyncio.sleep(runtime.settings.outbox_relay_seconds)
        try:
            await runtime.dispatcher.relay()
        except (SQLAlchemyError, OSError) as error:  # the next tick tries again
            log.warning("outbox_relay_failed", error=type(error).__name__)


async def _replay_spool_forever(runtime: Runtime) -> None:
    """Stores what intake spooled while the database was down, once it is back."""
    assert runtime.spool is not None
    while True:
        await asyncio.sleep(runtime.settings.spool_replay_seconds)
        try:
            await runtime.spool.replay(runtime.intake)
        except (SQLAlchemyError, OSError) as error:  # the next tick tries again
            log.warning("spool_replay_failed", error=type(error).__name__)
