"""The composition root: what a process opens at start-up and closes at exit.

``open_process`` builds the ``Runtime`` (database, keyring, rules, job queue, Twilio), intake with
its spool, and the background loops: in embedded mode (no Redis) the jobs run here, on an
in-process queue, with the periodic ones as loops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError

from crypto import Keyring, Purpose, derived_key
from crypto.live import LiveKeyring
from service.background.backends import ArqQueue, InProcessQueue, JobQueue
from service.background.outbox import OutboxDispatcher, track_written_jobs
from service.casework.jobs import watch_deadlines
from service.core.attempts import RedisAttemptStore
from service.core.audit import sealed_sessions_info
from service.core.db import create_engine, create_sessionmaker
from service.core.rules import RulesHolder
from service.core.twilio import TwilioClient
from service.intake.service import IntakeService
from service.intake.spool import IntakeSpool
from service.jobs import queued_functions
from service.retention.jobs import retain_forever
from service.retention.twilio_purge import purge_forever
from service.runtime import Runtime
from service.settings import Settings

log = structlog.get_logger(__name__)


@dataclass
class Process:
    """What one API or worker process opened: its runtime, and intake with its spool."""

    runtime: Runtime
    intake: IntakeService
    spool: IntakeSpool

    async def close(self) -> None:
        await self.runtime.close()


async def open_process(settings: Settings) -> Process:
    track_written_jobs()
    engine = create_engine(settings.resolved_database_url, settings)
    # Follows the file: ``tipline keys rotate`` and an edit reach this process without a restart.
    keyring = LiveKeyring(settings.resolved_keyring_path)
    sessions = create_sessionmaker(engine, info=sealed_sessions_info(keyring, settings.data_dir))
    ctx: dict[str, Any] = {}
    queue: JobQueue
    if settings.redis_url:
        queue = ArqQueue(settings.redis_url)
    else:
        queue = InProcessQueue(queued_functions(), ctx)
    dispatcher = OutboxDispatcher(sessions=sessions, queue=queue)
    spool = IntakeSpool(settings.data_dir / "spool", keyring)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        keyring=keyring,
        rules=RulesHolder(settings.rules_path, settings.gazetteer_path),
        queue=queue,
        dispatcher=dispatcher,
        twilio=open_twilio_client(settings),
    )
    runtime.closers.append(_closing(spool))
    if settings.redis_url:
        attempts = RedisAttemptStore(settings.redis_url, secret=_attempt_key(keyring))
        runtime.attempts = attempts
        runtime.closers.append(attempts.close)
    intake = IntakeService(
        sessions=sessions,
        keyring=keyring,
        dispatcher=dispatcher,
        conversation_window=timedelta(days=settings.conversation_window_days),
        spool=spool,
        linger_seconds=settings.intake_linger_ms / 1000,
    )
    ctx["runtime"] = runtime
    runtime.background.append(asyncio.create_task(_replay_spool_forever(runtime, spool, intake)))
    if isinstance(queue, InProcessQueue):
        queue.start()
        runtime.background.append(asyncio.create_task(_relay_forever(runtime)))
        runtime.background.append(asyncio.create_task(retain_forever(ctx)))
        runtime.background.append(asyncio.create_task(watch_deadlines(ctx)))
        runtime.background.append(asyncio.create_task(purge_forever(ctx)))
    return Process(runtime=runtime, intake=intake, spool=spool)


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


def _attempt_key(keyring: Keyring) -> Callable[[], bytes]:
    """The key hashing attempt counters' names in Redis: derived from the keyring, so the same in
    every process, one-way, and never the address or reference it stands for."""
    return lambda: derived_key(keyring, Purpose.INDEX, b"tipline attempt counters v1")


def _closing(spool: IntakeSpool) -> Callable[[], Awaitable[None]]:
    async def close() -> None:
        spool.close()

    return close


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


async def _replay_spool_forever(
    runtime: Runtime, spool: IntakeSpool, intake: IntakeService
) -> None:
    """Stores what intake spooled while the database was down, once it is back."""
    while True:
        await asyncio.sleep(runtime.settings.spool_replay_seconds)
        try:
            await spool.replay(intake)
        except (SQLAlchemyError, OSError) as error:  # the next tick tries again
            log.warning("spool_replay_failed", error=type(error).__name__)
