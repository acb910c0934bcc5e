"""Intake: store a reporter's message durably, then hand the triage job to the outbox.

Everything here happens in one transaction owned by ``IntakeService.receive``; the helpers take
``*, session`` and never commit.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from channels.errors import NotFound
from channels.ports import IncomingMessage, IntakeReceipt
from crypto import (
    Keyring,
    Purpose,
    hash_receipt_code,
    new_reference,
    seal_text,
)
from service.background.outbox import OutboxDispatcher, add_job
from service.core.db import SessionMaker, transaction
from service.core.group_commit import GroupCommit
from service.core.metrics import TIPS_RECEIVED
from service.core.outage import database_unreachable
from service.intake.attachments import add_attachments, add_missing_attachments
from service.intake.batch import (
    BUNDLED_CHANNELS,
    StoredMessage,
    batchable,
    erase_job,
    store_batch,
    triage_job,
)
from service.intake.spool import IntakeSpool, spoolable
from service.models import (
    Channel,
    Direction,
    Message,
    OperatorEntry,
    OutboxEntry,
    Reporter,
    Tip,
    TipStatus,
)
from service.reporters.identity import destroy_identity, find_or_add_reporter, find_reporter

log = structlog.get_logger(__name__)

# A unique-constraint race (the same MessageSid delivered twice at once, or two first messages
# from one new number) is resolved by running the transaction again: it then finds the winner.
_ATTEMPTS = 3


@dataclass
class _Stored:
    receipt: IntakeReceipt
    jobs: list[OutboxEntry] = field(default_factory=list)


class IntakeService:
    def __init__(
        self,
        *,
        sessions: SessionMaker,
        keyring: Keyring,
        dispatcher: OutboxDispatcher,
        conversation_window: timedelta,
        bundle_window: timedelta = timedelta(0),
        spool: IntakeSpool | None = None,
    ) -> None:
        self._spool = spool
        self._bundle_window = bundle_window
        self._sessions = sessions
        self._keyring = keyring
        self._dispatcher = dispatcher
        self._window = conversation_window
        self._group: GroupCommit[IncomingMessage, StoredMessage] = GroupCommit(self._store_batch)

    async def receive(
        self, message: IncomingMessage, *, reference: str | None = None
    ) -> IntakeReceipt:
        """Store and queue the message. ``reference`` replays a spooled message: a new tip with
        the reference its reporter was given (and never spooled a second time)."""
        # Argon2id is slow on purpose: hashed off the event loop, before the transaction.
        receipt_hash = None
        if message.receipt_code is not None:
            receipt_hash = await asyncio.to_thread(hash_receipt_code, message.receipt_code)
        try:
            stored = await self._store(message, receipt_hash, reference)
        except (SQLAlchemyError, OSError) as error:
            if reference is not None or not self._may_spool(message, error):
                raise
            assert self._spool is not None
            return await self._spool.keep_message(message)
        await self._dispatcher.dispatch(stored.jobs)
        if stored.receipt.new_tip:
            TIPS_RECEIVED.labels(channel=message.channel).inc()
        # DEBUG: the request log already has a line per webhook, and metrics count the tips.
        log.debug(
            "message_received",
            channel=message.channel,
            new_tip=stored.receipt.new_tip,
            replayed=stored.receipt.replayed,
        )
        return stored.receipt

    async def opt_out(self, *, sender: str, from_spool: bool = False) -> None:
        try:
            async with transaction(self._sessions) as session:
                reporter = await find_reporter(
                    session=session, keyring=self._keyring, sender=sender
                )
                if reporter is not None:
                    destroy_identity(reporter, opted_out=True)
        except (SQLAlchemyError, OSError) as error:
            # A reporter asking to be forgotten during an outage is kept, not dropped.
            if from_spool or self._spool is None or not database_unreachable(error):
                raise
            await self._spool.keep_opt_out(sender=sender)
            return
        log.info("reporter_opted_out", known=reporter is not None)

    async def _store(
        self, message: IncomingMessage, receipt_hash: str | None, reference: str | None
    ) -> _Stored | StoredMessage:
        """Plain texts go together (group commit); the rest, or a failed batch's, alone."""
        if reference is None and batchable(message, self._keyring):
            stored = await self._group.submit(message)
            if stored is not None:
                return stored
        return await self._store_with_retry(message, receipt_hash, reference)

    async def _store_batch(self, messages: Sequence[IncomingMessage]) -> list[StoredMessage]:
        """One transaction for the batch, then its jobs queued together."""
        async with transaction(self._sessions) as session:
            stored = await store_batch(
                session=session,
                keyring=self._keyring,
                messages=messages,
                window=self._window,
                bundle_window=self._bundle_window,
            )
        await self._dispatcher.dispatch([job for one in stored for job in one.jobs])
        return [StoredMessage(one.receipt, jobs=[]) for one in stored]

    def _may_spool(self, message: IncomingMessage, error: Exception) -> bool:
        return self._spool is not None and spoolable(message) and database_unreachable(error)

    async def _store_with_retry(
        self,
        message: IncomingMessage,
        receipt_hash: str | None = None,
        reference: str | None = None,
    ) -> _Stored:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                async with transaction(self._sessions) as session:
                    return await store_message(
                        session=session,
                        keyring=self._keyring,
                        message=message,
                        window=self._window,
                        # Retries are rare: the first attempt lets the unique provider id catch
                        # them instead of paying a look-up on every message.
                        check_replay=attempt > 1,
                        receipt_code_hash=receipt_hash,
                        bundle_window=self._bundle_window,
                        reference=reference,
                    )
            except IntegrityError:
                if attempt == _ATTEMPTS:
                    raise
                log.info("intake_race_retried", attempt=attempt)
        raise AssertionError("unreachable")


async def store_message(
    *,
    session: AsyncSession,
    keyring: Keyring,
    message: IncomingMessage,
    window: timedelta,
    check_replay: bool = True,
    receipt_code_hash: str | None = None,
    bundle_window: timedelta = timedelta(0),
    reference: str | None = None,
) -> _Stored:
    """``reference``: start a new tip with this reference instead of joining a conversation."""
    if check_replay:
        replay = await _find_replay(session=session, provider_id=message.provider_id)
        if replay is not None:
            return _Stored(replay, await _replayed_attachments(session, keyring, message))
    reporter, new_reporter = None, False
    if message.sender is not None:
        reporter, new_reporter = await find_or_add_reporter(
            session=session, keyring=keyring, sender=message.sender
        )
    tip: Tip | None = None
    if message.follow_up_of is not None:
        tip = await _followed_up_tip(session=session, reference=message.follow_up_of)
    elif reference is None and not new_reporter:  # a new number has no conversation yet
        tip = await _open_conversation(
            session=session, reporter=reporter, message=message, window=window
        )
    new_tip = tip is None
    if tip is None:
        tip = _add_tip(
            session=session,
            keyring=keyring,
            reporter=reporter,
            message=message,
            reference=reference,
        )
        tip.receipt_code_hash = receipt_code_hash
        # Without relationship() mappings the unit of work does not order inserts by foreign
        # key: the tip row must exist before its first message.
        await session.flush()
    inbound = _add_inbound(session=session, keyring=keyring, tip=tip, message=message)
    tip.last_message_at = message.received_at
    jobs = [_add_triage_job(session=session, tip=tip, inbound=inbound, window=bundle_window)]
    if _plain_text_at_twilio(message):
        name, args, key = erase_job(message_id=inbound.id)
        jobs.append(add_job(session=session, job_name=name, args=args, job_key=key))
    if message.attachments or message.entered_by:
        await session.flush()  # the message row first: attachments and entries point to it
        jobs += _add_message_extras(
            session=session, keyring=keyring, inbound=inbound, message=message
        )
    await session.flush()
    code = message.receipt_code if new_tip and receipt_code_hash else None
    receipt = IntakeReceipt(
        reference=tip.reference, new_tip=new_tip, replayed=False, receipt_code=code
    )
    return _Stored(receipt, jobs)


def _plain_text_at_twilio(message: IncomingMessage) -> bool:
    """An SMS or WhatsApp message without media: nothing else will delete it at Twilio (the
    media job deletes a message with files, the recording job a call)."""
    return (
        message.provider_id is not None
        and message.channel in BUNDLED_CHANNELS
        and not any(attachment.provider_sid for attachment in message.attachments)
    )


def _add_triage_job(
    *, session: AsyncSession, tip: Tip, inbound: Message, window: timedelta
) -> OutboxEntry:
    name, args, key = triage_job(
        channel=tip.channel, tip_id=tip.id, message_id=inbound.id, bundle_window=window
    )
    return add_job(session=session, job_name=name, args=args, job_key=key)


def _add_message_extras(
    *, session: AsyncSession, keyring: Keyring, inbound: Message, message: IncomingMessage
) -> list[OutboxEntry]:
    if message.entered_by is not None:
        session.add(OperatorEntry(message_id=inbound.id, staff_user_id=message.entered_by))
    return add_attachments(
        session=session,
        keyring=keyring,
        tip_id=inbound.tip_id,
        message_id=inbound.id,
        attachments=message.attachments,
    )


async def _replayed_attachments(
    session: AsyncSession, keyring: Keyring, message: IncomingMessage
) -> list[OutboxEntry]:
    if not message.attachments or message.provider_id is None:
        return []
    jobs = await add_missing_attachments(
        session=session,
        keyring=keyring,
        provider_id=message.provider_id,
        attachments=message.attachments,
    )
    await session.flush()
    return jobs


async def _followed_up_tip(*, session: AsyncSession, reference: str) -> Tip:
    tip = (await session.scalars(select(Tip).where(col(Tip.reference) == reference))).first()
    if tip is None:
        raise NotFound()
    return tip


async def _find_replay(*, session: AsyncSession, provider_id: str | None) -> IntakeReceipt | None:
    """The receipt first given for this provider id, so a retry gets the very same answer."""
    if provider_id is None:
        return None
    found = (
        await session.execute(
            select(col(Tip.reference), col(Message.created_at), col(Tip.received_at))
            .join(Message, col(Message.tip_id) == col(Tip.id))
            .where(col(Message.provider_id) == provider_id)
        )
    ).first()
    if found is None:
        return None
    reference, sent_at, tip_received_at = found
    return IntakeReceipt(reference=reference, new_tip=sent_at == tip_received_at, replayed=True)


async def _open_conversation(
    *, session: AsyncSession, reporter: Reporter | None, message: IncomingMessage, window: timedelta
) -> Tip | None:
    """The reporter's latest open tip on this channel, if they wrote within the window."""
    if reporter is None:
        return None
    since: datetime = message.received_at - window
    found = await session.scalars(
        select(Tip)
        .where(col(Tip.reporter_id) == reporter.id)
        .where(col(Tip.channel) == message.channel)
        .where(col(Tip.status) != TipStatus.CLOSED)
        .where(col(Tip.last_message_at) >= since)
        .order_by(col(Tip.last_message_at).desc())
        .limit(1)
    )
    return found.first()


def _add_tip(
    *,
    session: AsyncSession,
    keyring: Keyring,
    reporter: Reporter | None,
    message: IncomingMessage,
    reference: str | None = None,
) -> Tip:
    tip_id = uuid.uuid4()
    place_hint = None
    if message.place:
        place_hint = seal_text(keyring, Purpose.CONTENT, message.place, context=f"place:{tip_id}")
    tip = Tip(
        id=tip_id,
        reference=reference or new_reference(),
        place_hint_ciphertext=place_hint,
        channel=Channel(message.channel),
        reporter_id=reporter.id if reporter else None,
        received_at=message.received_at,
        last_message_at=message.received_at,
    )
    session.add(tip)
    return tip


def _add_inbound(
    *, session: AsyncSession, keyring: Keyring, tip: Tip, message: IncomingMessage
) -> Message:
    message_id = uuid.uuid4()
    inbound = Message(
        id=message_id,
        tip_id=tip.id,
        direction=Direction.INBOUND,
        provider_id=message.provider_id,
        body_ciphertext=seal_text(
            keyring, Purpose.CONTENT, message.body, context=f"message:{message_id}"
        ),
        created_at=message.received_at,
    )
    session.add(inbound)
    return inbound
