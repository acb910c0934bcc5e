"""Storing messages: every message intake receives is stored here, with others that arrived at
the same time (group commit) or alone as a batch of one, in the caller's transaction.

The outcome is the one storing the messages one by one, in order, would give: a provider retry
gets the receipt first given and adds the files its first delivery lacked; a known number within
the conversation window joins its open tip, and two messages of one new number in the same batch
make one tip; a web follow-up joins the tip it names; a spooled message starts a tip under the
reference its reporter was given. A provider's message (an SMS, a WhatsApp message, a call)
that starts a tip gets the reference derived from its id (``crypto.provider_reference``), the
one the spool answers during an outage too; another tip holding it (at two million tips, about one
message in 10,000) moves it to the id's next derived reference, as in every process. Whatever
the batch size, each step is one fixed statement,
skipped when it has nothing to do: the reads (replays and their stored files, the reporters'
upsert, their open conversations, the followed-up tips), then the writes (tips, the joined tips'
last message time, messages, operator entries, files, outbox entries). The batch's tips are
triaged by one job; files and texts to erase at Twilio keep a job each.

SQLAlchemy Core throughout: at a few hundred webhooks a second the ORM's unit of work was the
largest cost of intake (bench/README.md).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import Executable, Table, bindparam, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from channels.errors import NotFound
from channels.ports import IncomingAttachment, IncomingMessage, IntakeReceipt
from crypto import (
    Keyring,
    Purpose,
    new_reference,
    provider_id_hash,
    provider_id_hashes,
    provider_reference,
    seal_text,
)
from service.background.outbox import BulkJob
from service.core.db import (
    among,
    arrays_of,
    insert_rows,
    on_postgresql,
    run_built,
    unnested,
)
from service.core.fresh_codes import first_unused, unused_codes
from service.core.job_names import JobName
from service.core.provider_ids import message_context, seal_provider_id
from service.intake.attachments import ATTACHMENTS, attachment_rows, fetch_jobs, stored_sids
from service.models import (
    Channel,
    Direction,
    Message,
    OperatorEntry,
    OutboxEntry,
    Tip,
    TipStatus,
)
from service.models.types import utcnow
from service.reporters.identity import find_or_add_reporters

log = structlog.get_logger(__name__)

_TIPS = cast(Table, getattr(Tip, "__table__"))  # noqa: B009 - SQLModel types hide __table__
_MESSAGES = cast(Table, getattr(Message, "__table__"))  # noqa: B009
_OPERATOR_ENTRIES = cast(Table, getattr(OperatorEntry, "__table__"))  # noqa: B009
_OUTBOX = cast(Table, getattr(OutboxEntry, "__table__"))  # noqa: B009

# Texting channels: a reporter's text stays in Twilio's log until it is erased there.
BUNDLED_CHANNELS = frozenset({"sms", "whatsapp"})
# A text from a caller's number joins their call's tip (the officer's questions reach a caller
# by SMS, and their answers must not open a new tip with a new reference).
JOINED_BY: dict[str, tuple[str, ...]] = {"sms": ("hotline",)}


@dataclass(frozen=True)
class Submission:
    """A message as ``IntakeService.receive`` hands it over to be stored."""

    message: IncomingMessage
    receipt_code_hash: str | None = None  # Argon2id, hashed before the transaction
    reference: str | None = None  # a spooled message: the reference its reporter was given


@dataclass(frozen=True)
class StoredMessage:
    receipt: IntakeReceipt
    jobs: list[BulkJob]  # its own: files to fetch, the text to erase at Twilio


@dataclass(frozen=True)
class StoredBatch:
    """One result per message, in order, and the batch's own jobs: one triage for all its tips,
    one deletion at Twilio for all its plain texts."""

    messages: list[StoredMessage]
    shared: list[BulkJob]

    @property
    def jobs(self) -> list[BulkJob]:
        return self.shared + [job for one in self.messages for job in one.jobs]


@dataclass
class _Tip:
    tip_id: uuid.UUID
    reference: str
    channel: str
    last_message_at: datetime


@dataclass(frozen=True)
class _Delivered:
    """A message already stored under a provider id: what a retry of it answers and adds to."""

    receipt: IntakeReceipt
    tip_id: uuid.UUID
    message_id: uuid.UUID


@dataclass
class _Found:
    """What the database holds for a batch, read before any row is added."""

    replays: dict[str, _Delivered]
    stored_sids: set[str]
    reporters: dict[str, tuple[uuid.UUID, bool]]
    conversations: dict[tuple[uuid.UUID, str], _Tip]
    followed: dict[str, _Tip]


def triage_job(triaged: dict[uuid.UUID, uuid.UUID]) -> BulkJob | None:
    """The triage of the tips a batch added messages to (tip id → its first new message), each
    once, in order. Its key is named after the batch's first message: a relay's retry queues the
    same job id, which the queue skips while it holds it."""
    if not triaged:
        return None
    tip_id, message_id = next(iter(triaged.items()))
    return BulkJob(
        job_name=JobName.TRIAGE_TIP,
        job_args=[str(tip) for tip in triaged],
        job_key=f"{JobName.TRIAGE_TIP}:{tip_id}:{message_id}",
    )


def plain_text_at_twilio(message: IncomingMessage) -> bool:
    """An SMS or WhatsApp message without media: nothing else will delete it at Twilio (the
    media job deletes a message with files, the recording job a call)."""
    return (
        message.provider_id is not None
        and message.channel in BUNDLED_CHANNELS
        and not any(attachment.provider_sid for attachment in message.attachments)
    )


def held_at_twilio(message: IncomingMessage) -> bool:
    """Twilio keeps a copy (and the number) that a job will delete: the message's own id is
    kept sealed until then."""
    return plain_text_at_twilio(message) or any(
        attachment.provider_sid for attachment in message.attachments
    )


def erase_job(message_ids: list[uuid.UUID]) -> BulkJob | None:
    """The deletion at Twilio of the plain texts a batch stored, together: a campaign's
    thousands of texts cost the queue a job per batch, not one each. Named, like the triage
    job, after the batch's first such message."""
    if not message_ids:
        return None
    return BulkJob(
        job_name=JobName.ERASE_MESSAGES,
        job_args=[str(message_id) for message_id in message_ids],
        job_key=f"{JobName.ERASE_MESSAGES}:{message_ids[0]}",
    )


async def store_batch(
    *,
    session: AsyncSession,
    keyring: Keyring,
    submissions: Sequence[Submission],
    window: timedelta,
) -> StoredBatch:
    """Store the messages in the caller's transaction. A follow-up of a reference no tip has
    raises ``NotFound``."""
    found = await _read(session, keyring, [one.message for one in submissions], window)
    # As many as the batch could open tips; the unused ones cost nothing.
    wanted = sum(1 for one in submissions if _derived_reference(one) is None)
    references = await unused_codes(session, _TIPS.c.reference, new_reference, wanted)
    derived = await first_unused(
        session, _TIPS.c.reference, _candidates(keyring, submissions, found)
    )
    plan = _Plan(found, keyring=keyring, window=window, references=references, derived=derived)
    receipts = [plan.add(i, submission) for i, submission in enumerate(submissions)]
    await plan.write(session)
    return StoredBatch(
        [StoredMessage(receipt, plan.jobs_of(i)) for i, receipt in enumerate(receipts)],
        plan.shared_jobs(),
    )


def _derived_reference(submission: Submission) -> str | None:
    """The provider id a new tip's reference is derived from, if any."""
    message = submission.message
    if message.follow_up_of is not None:
        return None
    return message.provider_id


def _candidates(
    keyring: Keyring, submissions: Sequence[Submission], found: _Found
) -> dict[str, Callable[[int], str]]:
    """Per provider id not stored yet, its references in order of preference: the one its
    reporter was given from the spool, if any, then the ones derived from the id."""
    candidates: dict[str, Callable[[int], str]] = {}
    for submission in submissions:
        provider_id = _derived_reference(submission)
        if provider_id is None or provider_id in found.replays or provider_id in candidates:
            continue
        candidates[provider_id] = functools.partial(
            _candidate, keyring, provider_id, submission.reference
        )
    return candidates


def _candidate(keyring: Keyring, provider_id: str, given: str | None, attempt: int) -> str:
    if given is None:
        return provider_reference(keyring, provider_id, attempt)
    return given if attempt == 0 else provider_reference(keyring, provider_id, attempt)


async def _read(
    session: AsyncSession, keyring: Keyring, messages: list[IncomingMessage], window: timedelta
) -> _Found:
    replays = await _replays(session, keyring, {m.provider_id for m in messages if m.provider_id})
    senders = {m.sender for m in _first_deliveries(messages, replays) if m.sender}
    reporters = await find_or_add_reporters(session=session, keyring=keyring, senders=senders)
    known = [reporter_id for reporter_id, new in reporters.values() if not new]
    since = min(m.received_at for m in messages) - window
    conversations = await _open_conversations(session, known, since)
    references = {m.follow_up_of for m in messages if m.follow_up_of is not None}
    followed = await _followed_up_tips(session, references)
    # One object per tip, so joining it as a follow-up moves its conversation on too.
    by_id = {tip.tip_id: tip for tip in conversations.values()}
    return _Found(
        replays=replays,
        stored_sids=await stored_sids(session, keyring, _retried_sids(messages, replays)),
        reporters=reporters,
        conversations=conversations,
        followed={ref: by_id.get(tip.tip_id, tip) for ref, tip in followed.items()},
    )


def _first_deliveries(
    messages: list[IncomingMessage], replays: dict[str, _Delivered]
) -> list[IncomingMessage]:
    """The messages the batch stores: neither a retry of a stored one nor of one before it."""
    seen: set[str | None] = set(replays)
    first = []
    for message in messages:
        if message.provider_id not in seen:
            first.append(message)
        if message.provider_id is not None:
            seen.add(message.provider_id)
    return first


def _retried_sids(messages: list[IncomingMessage], replays: dict[str, _Delivered]) -> set[str]:
    return {
        item.provider_sid
        for message in messages
        if message.provider_id in replays
        for item in message.attachments
        if item.provider_sid
    }


async def _replays(
    session: AsyncSession, keyring: Keyring, provider_ids: set[str]
) -> dict[str, _Delivered]:
    """The messages already stored under these provider ids (a provider's retry), found by
    their hash under every provider-id key (one may be stored under a key being rotated)."""
    if not provider_ids:
        return {}
    id_of = {
        hashed: provider_id
        for provider_id in provider_ids
        for hashed in provider_id_hashes(keyring, provider_id)
    }
    rows = await session.execute(
        select(
            _MESSAGES.c.provider_id_hash,
            _TIPS.c.reference,
            _MESSAGES.c.created_at,
            _TIPS.c.received_at,
            _TIPS.c.id,
            _MESSAGES.c.id,
        )
        .join(_TIPS, _TIPS.c.id == _MESSAGES.c.tip_id)
        .where(among(session, _MESSAGES.c.provider_id_hash, list(id_of)))
    )
    return {
        id_of[hashed]: _Delivered(
            IntakeReceipt(reference=reference, new_tip=sent_at == tip_received_at, replayed=True),
            tip_id,
            message_id,
        )
        for hashed, reference, sent_at, tip_received_at, tip_id, message_id in rows
    }


async def _open_conversations(
    session: AsyncSession, reporter_ids: list[uuid.UUID], since: datetime
) -> dict[tuple[uuid.UUID, str], _Tip]:
    """Each known reporter's latest open tip per channel written to since ``since``."""
    if not reporter_ids:
        return {}
    rows = await session.execute(
        select(
            _TIPS.c.reporter_id,
            _TIPS.c.channel,
            _TIPS.c.id,
            _TIPS.c.reference,
            _TIPS.c.last_message_at,
        )
        .where(among(session, _TIPS.c.reporter_id, reporter_ids))
        .where(_TIPS.c.status != TipStatus.CLOSED)
        .where(_TIPS.c.last_message_at >= since)
        .order_by(_TIPS.c.last_message_at.desc())
    )
    latest: dict[tuple[uuid.UUID, str], _Tip] = {}
    for reporter_id, channel, tip_id, reference, last_message_at in rows:
        latest.setdefault((reporter_id, channel), _Tip(tip_id, reference, channel, last_message_at))
    return latest


async def _followed_up_tips(session: AsyncSession, references: set[str]) -> dict[str, _Tip]:
    """The tips web follow-ups name, by reference (whatever their status)."""
    if not references:
        return {}
    rows = await session.execute(
        select(_TIPS.c.reference, _TIPS.c.id, _TIPS.c.channel, _TIPS.c.last_message_at).where(
            among(session, _TIPS.c.reference, references)
        )
    )
    return {
        reference: _Tip(tip_id, reference, channel, last_message_at)
        for reference, tip_id, channel, last_message_at in rows
    }


async def _move_conversations_on(session: AsyncSession, joined: dict[uuid.UUID, datetime]) -> None:
    """Each joined tip's last message time; a message on a closed tip (an answer on /suivi)
    restarts its retention. On PostgreSQL one statement over arrays (a flood of known numbers
    joins hundreds of tips a batch); SQLite, in-process, takes the executemany."""
    if not joined:
        return
    rows = [{"id": tip_id, "last_message_at": at} for tip_id, at in joined.items()]
    if on_postgresql(session):
        await run_built(session, _joined_statement, arrays_of(_TIPS, rows, _JOINED_COLUMNS))
        return
    await session.execute(
        update(_TIPS)
        .where(_TIPS.c.id == bindparam("joined_tip"))
        .values(
            last_message_at=bindparam("joined_at"),
            closed_at=case((_TIPS.c.closed_at.is_(None), None), else_=bindparam("joined_at")),
        ),
        [{"joined_tip": row["id"], "joined_at": row["last_message_at"]} for row in rows],
    )


_JOINED_COLUMNS = ("id", "last_message_at")


@functools.cache
def _joined_statement(postgresql: bool) -> Executable:
    assert postgresql
    joined = unnested(_TIPS, _JOINED_COLUMNS).subquery("joined")
    return (
        update(_TIPS)
        .where(_TIPS.c.id == joined.c.id)
        .values(
            last_message_at=joined.c.last_message_at,
            closed_at=case((_TIPS.c.closed_at.is_(None), None), else_=joined.c.last_message_at),
        )
    )


class _Plan:
    """The rows a batch adds, built message by message in arrival order."""

    def __init__(
        self,
        found: _Found,
        *,
        keyring: Keyring,
        window: timedelta,
        references: list[str],
        derived: dict[str, str],
    ) -> None:
        self._found = found
        self._references = references  # drawn for this batch, none already stored
        self._derived = derived  # provider id → its reference, none already stored
        self._keyring = keyring
        self._window = window
        self._now = utcnow()
        self._delivered = dict(found.replays)
        self._joined: dict[uuid.UUID, datetime] = {}
        self._jobs: dict[int, list[BulkJob]] = {}
        # The tips given a message, in order, with the first: triaged together (``triage_job``).
        self.triaged: dict[uuid.UUID, uuid.UUID] = {}
        # The plain texts to delete at Twilio, in order (``erase_job``).
        self.erased: list[uuid.UUID] = []
        self.tips: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.operator_entries: list[dict[str, Any]] = []
        self.attachments: list[dict[str, Any]] = []

    def add(self, position: int, submission: Submission) -> IntakeReceipt:
        message = submission.message
        delivered = self._delivered_before(message)
        if delivered is not None:  # a retry, stored earlier or earlier in this very batch
            self._add_missing_files(position, delivered, message)
            return delivered.receipt
        tip, new_tip = self._tip_for(submission)
        message_id = self._add_message(position, tip, message)
        if message.provider_id is not None:
            first = IntakeReceipt(reference=tip.reference, new_tip=new_tip, replayed=True)
            self._delivered[message.provider_id] = _Delivered(first, tip.tip_id, message_id)
        code = message.receipt_code if new_tip and submission.receipt_code_hash else None
        return IntakeReceipt(
            reference=tip.reference, new_tip=new_tip, replayed=False, receipt_code=code
        )

    def jobs_of(self, position: int) -> list[BulkJob]:
        return self._jobs.get(position, [])

    async def write(self, session: AsyncSession) -> None:
        """Tips before their messages, messages before what points to them (foreign keys)."""
        await insert_rows(session, _TIPS, self.tips)
        await _move_conversations_on(session, self._joined)
        await insert_rows(session, _MESSAGES, self.messages)
        await insert_rows(session, _OPERATOR_ENTRIES, self.operator_entries)
        await insert_rows(session, ATTACHMENTS, self.attachments)
        await insert_rows(session, _OUTBOX, self._outbox_rows())

    def _delivered_before(self, message: IncomingMessage) -> _Delivered | None:
        if message.provider_id is None:
            return None
        return self._delivered.get(message.provider_id)

    def _tip_for(self, submission: Submission) -> tuple[_Tip, bool]:
        """The tip the message joins, or a new one (and True)."""
        message = submission.message
        reporter_id = self._reporter_of(message)
        tip = None
        if message.follow_up_of is not None:
            tip = self._followed_up(message.follow_up_of)
        elif submission.reference is None:
            tip = self._conversation(reporter_id, message)
        if tip is None:
            return self._add_tip(reporter_id, submission), True
        tip.last_message_at = message.received_at
        self._joined[tip.tip_id] = message.received_at
        return tip, False

    def _reporter_of(self, message: IncomingMessage) -> uuid.UUID | None:
        if message.sender is None:
            return None
        reporter_id, _ = self._found.reporters[message.sender]
        return reporter_id

    def _followed_up(self, reference: str) -> _Tip:
        tip = self._found.followed.get(reference)
        if tip is None:
            raise NotFound()
        return tip

    def _conversation(self, reporter_id: uuid.UUID | None, message: IncomingMessage) -> _Tip | None:
        """The reporter's latest open tip on this channel within the window; an SMS also joins
        a call of theirs (an answer to the question an officer texted the caller)."""
        if reporter_id is None:
            return None
        since = message.received_at - self._window
        channels = [message.channel, *JOINED_BY.get(message.channel, ())]
        candidates = [
            found
            for channel in channels
            if (found := self._found.conversations.get((reporter_id, channel))) is not None
            and found.last_message_at >= since
        ]
        return max(candidates, key=lambda tip: tip.last_message_at, default=None)

    def _add_tip(self, reporter_id: uuid.UUID | None, submission: Submission) -> _Tip:
        message = submission.message
        reference = self._reference_of(submission)
        tip = _Tip(uuid.uuid4(), reference, Channel(message.channel), message.received_at)
        self.tips.append(
            {
                "id": tip.tip_id,
                "reference": tip.reference,
                "channel": tip.channel,
                "status": TipStatus.RECEIVED,
                "reporter_id": reporter_id,
                "receipt_code_hash": submission.receipt_code_hash,
                "place_hint_ciphertext": self._sealed_place(tip.tip_id, message.place),
                "received_at": message.received_at,
                "last_message_at": message.received_at,
            }
        )
        if reporter_id is not None:
            self._found.conversations[(reporter_id, message.channel)] = tip
        self._found.followed[tip.reference] = tip
        return tip

    def _reference_of(self, submission: Submission) -> str:
        provider_id = _derived_reference(submission)
        if provider_id is None:
            return submission.reference or self._references.pop()
        reference = self._derived[provider_id]
        if submission.reference is not None and reference != submission.reference:
            # Another tip holds the reference the spool gave: the citizen's answer names it.
            log.warning("spooled_reference_taken")
        return reference

    def _sealed_place(self, tip_id: uuid.UUID, place: str | None) -> bytes | None:
        if not place:
            return None
        return seal_text(self._keyring, Purpose.CONTENT, place, context=f"place:{tip_id}")

    def _add_message(self, position: int, tip: _Tip, message: IncomingMessage) -> uuid.UUID:
        message_id = uuid.uuid4()
        body = seal_text(
            self._keyring, Purpose.CONTENT, message.body, context=f"message:{message_id}"
        )
        self.messages.append(
            {
                "id": message_id,
                "tip_id": tip.tip_id,
                "direction": Direction.INBOUND,
                "provider_id_hash": self._hashed(message.provider_id),
                "provider_id_sealed": self._sealed_provider_id(message_id, message),
                "transcript_of": None,
                "body_ciphertext": body,
                "created_at": message.received_at,
                "language": message.language,
            }
        )
        self.triaged.setdefault(tip.tip_id, message_id)
        if plain_text_at_twilio(message):
            self.erased.append(message_id)
        if message.entered_by is not None:
            self.operator_entries.append(
                {
                    "message_id": message_id,
                    "staff_user_id": message.entered_by,
                    "created_at": self._now,
                }
            )
        self._add_files(position, tip.tip_id, message_id, message.attachments)
        return message_id

    def _hashed(self, provider_id: str | None) -> str | None:
        return None if provider_id is None else provider_id_hash(self._keyring, provider_id)

    def _sealed_provider_id(self, message_id: uuid.UUID, message: IncomingMessage) -> bytes | None:
        if message.provider_id is None or not held_at_twilio(message):
            return None
        return seal_provider_id(
            self._keyring, message.provider_id, context=message_context(message_id)
        )

    def _add_missing_files(
        self, position: int, delivered: _Delivered, message: IncomingMessage
    ) -> None:
        """A retry's files not stored yet (a recording callback after the call's)."""
        stored = self._found.stored_sids
        missing = [
            item
            for item in message.attachments
            if item.provider_sid and item.provider_sid not in stored
        ]
        self._add_files(position, delivered.tip_id, delivered.message_id, missing)

    def _add_files(
        self,
        position: int,
        tip_id: uuid.UUID,
        message_id: uuid.UUID,
        attachments: Sequence[IncomingAttachment],
    ) -> None:
        rows = attachment_rows(
            self._keyring,
            tip_id=tip_id,
            message_id=message_id,
            attachments=attachments,
            now=self._now,
        )
        self.attachments += rows
        self._found.stored_sids.update(
            item.provider_sid for item in attachments if item.provider_sid
        )
        self._queue(position, fetch_jobs(message_id, rows))

    def _queue(self, position: int, jobs: list[BulkJob]) -> None:
        if jobs:
            self._jobs.setdefault(position, []).extend(jobs)

    def shared_jobs(self) -> list[BulkJob]:
        """The batch's own jobs, each carrying all its tips or texts."""
        return [job for job in (triage_job(self.triaged), erase_job(self.erased)) if job]

    def _outbox_rows(self) -> list[dict[str, Any]]:
        jobs = [job for jobs in self._jobs.values() for job in jobs]
        return [
            {
                "job_name": job.job_name,
                "job_args": job.job_args,
                "job_key": job.job_key,
                "created_at": self._now,
            }
            for job in self.shared_jobs() + jobs
        ]
