"""Intake: store a reporter's message durably, then hand its jobs to the outbox.

Every message goes through one path (``service.intake.batch.store_batch``): with the others
that arrive while a batch is being written (group commit), and alone, as a batch of one, when its
batch failed or when it replays the spool. ``IntakeService`` owns the transactions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import structlog
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from channels.ports import IncomingMessage, IntakeReceipt
from crypto import Keyring, hash_receipt_code, provider_reference
from service.background.outbox import OutboxDispatcher
from service.core.db import SessionMaker, forget_on_disk, transaction
from service.core.group_commit import GroupCommit
from service.core.metrics import TIPS_RECEIVED
from service.core.outage import OutageHold, database_unreachable
from service.intake.batch import Submission, store_batch
from service.intake.calls import note_texts_notice, queue_erase_call
from service.intake.spool import IntakeSpool, spoolable
from service.reporters.identity import destroy_identity, find_reporter

log = structlog.get_logger(__name__)

# A unique-constraint race (the same MessageSid delivered to two processes at once, or two first
# messages from one new number) is resolved by running the transaction again: it then finds the
# winner.
_ATTEMPTS = 3
# After the database failed to answer in time, messages go to the spool at once for this long
# instead of each waiting out the database timeouts again; then the next batch asks again.
_OUTAGE_HOLD_SECONDS = 1.0


class IntakeService:
    def __init__(
        self,
        *,
        sessions: SessionMaker,
        keyring: Keyring,
        dispatcher: OutboxDispatcher,
        conversation_window: timedelta,
        spool: IntakeSpool | None = None,
        linger_seconds: float = 0.0,
    ) -> None:
        self._spool = spool
        self._sessions = sessions
        self._keyring = keyring
        self._dispatcher = dispatcher
        self._window = conversation_window
        self._hold = OutageHold(_OUTAGE_HOLD_SECONDS)
        self._group: GroupCommit[Submission, IntakeReceipt] = GroupCommit(
            self._store_batch, shared=database_unreachable, linger_seconds=linger_seconds
        )

    async def receive(
        self, message: IncomingMessage, *, reference: str | None = None
    ) -> IntakeReceipt:
        """Store and queue the message. ``reference`` replays a spooled message: a new tip with
        the reference its reporter was given (and never spooled a second time)."""
        # Argon2id is slow on purpose: hashed off the event loop, before the transaction.
        receipt_hash = None
        if message.receipt_code is not None:
            receipt_hash = await asyncio.to_thread(hash_receipt_code, message.receipt_code)
        spooled = None if reference is not None else self._spooled_reference(message)
        if spooled is not None:
            receipt = await self._store_spooled(Submission(message, receipt_hash, spooled))
        else:
            try:
                receipt = await self._store(Submission(message, receipt_hash, reference))
            except (SQLAlchemyError, OSError) as error:
                if reference is not None or not self._may_spool(message, error):
                    raise
                assert self._spool is not None
                return await self._spool.keep_message(message)
        # A retry of a message already stored (Twilio's, a form sent twice) is answered like the
        # first, as a new tip, but it is not one more tip.
        if receipt.new_tip and not receipt.replayed:
            TIPS_RECEIVED.labels(channel=message.channel).inc()
        # DEBUG: the request log already has a line per webhook, and metrics count the tips.
        log.debug(
            "message_received",
            channel=message.channel,
            new_tip=receipt.new_tip,
            replayed=receipt.replayed,
        )
        return receipt

    def _spooled_reference(self, message: IncomingMessage) -> str | None:
        """The reference to store a provider's message under as the spool's replay would: the
        one this process answered from its spool, or, while any process's spool holds messages
        not replayed yet (an outage has just ended), the one derived from its id — the message
        may be a retry of one spooled elsewhere, answered with that reference."""
        if self._spool is None or not spoolable(message):
            return None
        known = self._spool.pending_reference(message.provider_id)
        if known is not None or not self._spool.has_pending():
            return known
        assert message.provider_id is not None
        return provider_reference(self._keyring, message.provider_id)

    async def _store_spooled(self, submission: Submission) -> IntakeReceipt:
        """Stored now exactly as the spool's replay stores it: a tip of that reference, whatever
        conversation the number has (the replay, finding it stored, then skips it). While the
        database is still away, spooled (or answered as the spool answered it already)."""
        assert self._spool is not None
        try:
            self._hold.check()
            receipt = await self._store_alone(submission)
        except (SQLAlchemyError, OSError) as error:
            if not self._may_spool(submission.message, error):
                raise
            return await self._spool.keep_message(submission.message)
        self._spool.forget(submission.message.provider_id)
        return receipt

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
        if reporter is not None:
            await forget_on_disk(self._sessions)
        log.info("reporter_opted_out", known=reporter is not None)

    async def forget_call(self, *, provider_id: str) -> None:
        async with transaction(self._sessions) as session:
            entry = await queue_erase_call(
                session=session, keyring=self._keyring, call_sid=provider_id
            )
        if entry is not None:
            await self._dispatcher.dispatch([entry])

    async def note_texts_notice(self, *, provider_id: str) -> None:
        async with transaction(self._sessions) as session:
            await note_texts_notice(session=session, keyring=self._keyring, call_sid=provider_id)

    async def _store(self, submission: Submission) -> IntakeReceipt:
        """Messages arriving together go in one batch; a failed batch's, and a spooled replay
        (its errors are the spool's to sort), one at a time."""
        if submission.reference is None:
            receipt = await self._group.submit(submission)
            if receipt is not None:
                return receipt
        return await self._store_alone(submission)

    async def _store_alone(self, submission: Submission) -> IntakeReceipt:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                [receipt] = await self._store_batch([submission])
                return receipt
            except IntegrityError:
                if attempt == _ATTEMPTS:
                    raise
                log.info("intake_race_retried", attempt=attempt)
        raise AssertionError("unreachable")

    async def _store_batch(self, submissions: Sequence[Submission]) -> list[IntakeReceipt]:
        """One transaction for the batch, then its jobs queued together: its tips' triage as one
        job, each message's own. A spooled message's replay (always alone) asks the database even
        while holding: it is the probe that ends the hold."""
        if submissions[0].reference is None:
            self._hold.check()
        try:
            async with transaction(self._sessions) as session:
                stored = await store_batch(
                    session=session,
                    keyring=self._keyring,
                    submissions=submissions,
                    window=self._window,
                )
        except (SQLAlchemyError, OSError) as error:
            self._hold.note(error)
            raise
        self._hold.end()
        await self._dispatcher.dispatch(stored.jobs)
        return [one.receipt for one in stored.messages]

    def _may_spool(self, message: IncomingMessage, error: Exception) -> bool:
        return self._spool is not None and spoolable(message) and database_unreachable(error)
