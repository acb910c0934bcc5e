"""Storing a batch of plain texts in one transaction with set-based statements (group commit).

The outcome is the one storing the messages one by one, in order, would give (see
``service.intake.service.store_message``): a provider retry gets the receipt first given, a
known number within the conversation window joins its open tip, and two messages of one new
number in the same batch make one tip. Whatever the batch size, it costs six statements:
replays, the reporters' upsert, their open conversations, then the tips, messages and outbox
entries inserted.

SQLAlchemy Core throughout: at a few hundred webhooks a second the ORM's unit of work was the
largest cost of intake (bench/README.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from channels.ports import IncomingMessage, IntakeReceipt
from crypto import (
    Keyring,
    Purpose,
    blind_index,
    new_pseudonym,
    new_reference,
    normalise_phone,
    seal_text,
)
from service.background.outbox import BulkJob
from service.core.db import among, arrays_of, insert_rows, on_postgresql, unnested
from service.core.job_names import JobName
from service.models import Direction, Message, OutboxEntry, Reporter, Tip, TipStatus
from service.models.types import utcnow

_TIPS = cast(Table, getattr(Tip, "__table__"))  # noqa: B009 - SQLModel types hide __table__
_MESSAGES = cast(Table, getattr(Message, "__table__"))  # noqa: B009
_REPORTERS = cast(Table, getattr(Reporter, "__table__"))  # noqa: B009
_OUTBOX = cast(Table, getattr(OutboxEntry, "__table__"))  # noqa: B009

# Channels whose reporters split one account over several texts: their triage waits for the
# bundling window (see service.decisions.bundling).
BUNDLED_CHANNELS = frozenset({"sms", "whatsapp"})


@dataclass(frozen=True)
class StoredMessage:
    receipt: IntakeReceipt
    jobs: list[BulkJob]


@dataclass
class _Conversation:
    tip_id: uuid.UUID
    reference: str
    channel: str
    last_message_at: datetime


def batchable(message: IncomingMessage, keyring: Keyring) -> bool:
    """A plain text from a phone number. While index keys rotate, a number may sit under an old
    key and needs the single path's look-up first."""
    return (
        message.sender is not None
        and message.provider_id is not None
        and not message.attachments
        and message.follow_up_of is None
        and message.receipt_code is None
        and message.entered_by is None
        and message.place is None
        and len(keyring.keys(Purpose.INDEX)) == 1
    )


def triage_job(
    *, channel: str, tip_id: uuid.UUID, message_id: uuid.UUID, bundle_window: timedelta
) -> tuple[str, list[str], str]:
    """(job name, args, job key): SMS and WhatsApp wait for the bundling window; the other
    channels are triaged at once."""
    if bundle_window > timedelta(0) and channel in BUNDLED_CHANNELS:
        return (
            JobName.TRIAGE_BUNDLED,
            [str(tip_id), str(message_id)],
            f"{JobName.TRIAGE_BUNDLED}:{tip_id}:{message_id}",
        )
    return JobName.TRIAGE_TIP, [str(tip_id)], f"{JobName.TRIAGE_TIP}:{tip_id}:{message_id}"


def erase_job(*, message_id: uuid.UUID) -> tuple[str, list[str], str]:
    """(job name, args, job key) deleting a plain text at Twilio once it is stored."""
    return (
        JobName.ERASE_MESSAGE,
        [str(message_id)],
        f"{JobName.ERASE_MESSAGE}:{message_id}",
    )


async def store_batch(
    *,
    session: AsyncSession,
    keyring: Keyring,
    messages: Sequence[IncomingMessage],
    window: timedelta,
    bundle_window: timedelta,
) -> list[StoredMessage]:
    """Store ``batchable`` messages in the caller's transaction; one result per message."""
    replays = await _replays(session, [m.provider_id for m in messages if m.provider_id])
    reporters = await _upsert_reporters(session, keyring, [m.sender for m in messages if m.sender])
    known = [reporter_id for reporter_id, new in reporters.values() if not new]
    since = min(m.received_at for m in messages) - window
    plan = _Plan(
        conversations=await _open_conversations(session, known, since),
        window=window,
        bundle_window=bundle_window,
        keyring=keyring,
    )
    results = [plan.add(i, message, replays, reporters) for i, message in enumerate(messages)]
    await plan.write(session)
    return [StoredMessage(receipt, plan.jobs_of(i)) for i, receipt in enumerate(results)]


async def _replays(session: AsyncSession, provider_ids: list[str]) -> dict[str, IntakeReceipt]:
    """The receipts first given for provider ids already stored (a provider's retry)."""
    rows = await session.execute(
        select(
            _MESSAGES.c.provider_id,
            _TIPS.c.reference,
            _MESSAGES.c.created_at,
            _TIPS.c.received_at,
        )
        .join(_TIPS, _TIPS.c.id == _MESSAGES.c.tip_id)
        .where(among(session, _MESSAGES.c.provider_id, provider_ids))
    )
    return {
        provider_id: IntakeReceipt(
            reference=reference, new_tip=sent_at == tip_received_at, replayed=True
        )
        for provider_id, reference, sent_at, tip_received_at in rows
    }


async def _upsert_reporters(
    session: AsyncSession, keyring: Keyring, senders: list[str]
) -> dict[str, tuple[uuid.UUID, bool]]:
    """Each sender's reporter id and whether it is new, keyed by raw sender, in one upsert."""
    index_of = {sender: blind_index(keyring, normalise_phone(sender)) for sender in senders}
    rows: dict[str, dict[str, Any]] = {}
    for sender, index in index_of.items():
        if index not in rows:
            reporter_id = uuid.uuid4()
            identity = seal_text(
                keyring,
                Purpose.IDENTITY,
                normalise_phone(sender),
                context=f"reporter:{reporter_id}",
            )
            rows[index] = {
                "id": reporter_id,
                "blind_index": index,
                "identity_ciphertext": identity,
                "pseudonym": new_pseudonym(),
                "created_at": utcnow(),
            }
    # In blind-index order, so two batches upserting the same numbers lock them in one order.
    ordered = [rows[index] for index in sorted(rows)]
    if on_postgresql(session):
        found = await session.execute(
            _REPORTERS_UPSERT, arrays_of(_REPORTERS, ordered, _REPORTER_COLUMNS)
        )
    else:
        found = await session.execute(_reporters_upsert(sqlite_insert(_REPORTERS).values(ordered)))
    stored = {index: reporter_id for reporter_id, index in found}
    return {
        sender: (stored[index], stored[index] == rows[index]["id"])
        for sender, index in index_of.items()
    }


def _reporters_upsert(upsert: Any) -> Insert:
    # A no-op update on conflict, so RETURNING gives the existing row's id too.
    upsert = upsert.on_conflict_do_update(
        index_elements=["blind_index"], set_={"blind_index": upsert.excluded.blind_index}
    )
    return cast(Insert, upsert.returning(_REPORTERS.c.id, _REPORTERS.c.blind_index))


_REPORTER_COLUMNS = ("id", "blind_index", "identity_ciphertext", "pseudonym", "created_at")
# One statement for any number of reporters (see service.core.db.unnested), in the order given.
_NEW_REPORTERS = unnested(_REPORTERS, _REPORTER_COLUMNS)
_REPORTERS_UPSERT = _reporters_upsert(
    postgresql_insert(_REPORTERS).from_select(
        _REPORTER_COLUMNS,
        _NEW_REPORTERS.order_by(_NEW_REPORTERS.selected_columns.blind_index),
    )
)


async def _open_conversations(
    session: AsyncSession, reporter_ids: list[uuid.UUID], since: datetime
) -> dict[tuple[uuid.UUID, str], _Conversation]:
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
    latest: dict[tuple[uuid.UUID, str], _Conversation] = {}
    for reporter_id, channel, tip_id, reference, last_message_at in rows:
        latest.setdefault(
            (reporter_id, channel), _Conversation(tip_id, reference, channel, last_message_at)
        )
    return latest


class _Plan:
    """The rows a batch adds, built message by message in arrival order."""

    def __init__(
        self,
        *,
        conversations: dict[tuple[uuid.UUID, str], _Conversation],
        window: timedelta,
        bundle_window: timedelta,
        keyring: Keyring,
    ) -> None:
        self._conversations = conversations
        self._window = window
        self._bundle_window = bundle_window
        self._keyring = keyring
        self._first_receipts: dict[str, IntakeReceipt] = {}
        self._joined: dict[uuid.UUID, datetime] = {}
        self.tips: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.jobs: list[tuple[int, dict[str, Any]]] = []
        self._entries: dict[str, BulkJob] = {}

    def add(
        self,
        position: int,
        message: IncomingMessage,
        replays: dict[str, IntakeReceipt],
        reporters: dict[str, tuple[uuid.UUID, bool]],
    ) -> IntakeReceipt:
        assert message.provider_id is not None
        assert message.sender is not None
        replay = replays.get(message.provider_id) or self._first_receipts.get(message.provider_id)
        if replay is not None:  # a retry, stored earlier or earlier in this very batch
            return IntakeReceipt(reference=replay.reference, new_tip=replay.new_tip, replayed=True)
        reporter_id, _ = reporters[message.sender]
        conversation = self._conversation(reporter_id, message)
        new_tip = conversation is None
        if conversation is None:
            conversation = self._add_tip(reporter_id, message)
        else:
            conversation.last_message_at = message.received_at
            self._joined[conversation.tip_id] = message.received_at
        self._add_message(position, conversation, message)
        receipt = IntakeReceipt(reference=conversation.reference, new_tip=new_tip, replayed=False)
        self._first_receipts[message.provider_id] = receipt
        return receipt

    def jobs_of(self, position: int) -> list[BulkJob]:
        return [self._entries[row["job_key"]] for index, row in self.jobs if index == position]

    async def write(self, session: AsyncSession) -> None:
        """Tips before their messages (foreign keys), then the outbox entries."""
        await insert_rows(session, _TIPS, self.tips)
        if self._joined:
            await session.execute(
                update(_TIPS)
                .where(_TIPS.c.id == bindparam("joined_tip"))
                .values(last_message_at=bindparam("joined_at")),
                [{"joined_tip": tip, "joined_at": at} for tip, at in self._joined.items()],
            )
        await insert_rows(session, _MESSAGES, self.messages)
        await insert_rows(session, _OUTBOX, [row for _, row in self.jobs])

    def _conversation(
        self, reporter_id: uuid.UUID, message: IncomingMessage
    ) -> _Conversation | None:
        found = self._conversations.get((reporter_id, message.channel))
        if found is None or found.last_message_at < message.received_at - self._window:
            return None
        return found

    def _add_tip(self, reporter_id: uuid.UUID, message: IncomingMessage) -> _Conversation:
        tip = _Conversation(uuid.uuid4(), new_reference(), message.channel, message.received_at)
        self.tips.append(
            {
                "id": tip.tip_id,
                "reference": tip.reference,
                "channel": message.channel,
                "status": TipStatus.RECEIVED,
                "reporter_id": reporter_id,
                "received_at": message.received_at,
                "last_message_at": message.received_at,
            }
        )
        self._conversations[(reporter_id, message.channel)] = tip
        return tip

    def _add_message(self, position: int, tip: _Conversation, message: IncomingMessage) -> None:
        message_id = uuid.uuid4()
        body = seal_text(
            self._keyring, Purpose.CONTENT, message.body, context=f"message:{message_id}"
        )
        self.messages.append(
            {
                "id": message_id,
                "tip_id": tip.tip_id,
                "direction": Direction.INBOUND,
                "provider_id": message.provider_id,
                "body_ciphertext": body,
                "created_at": message.received_at,
            }
        )
        triage = triage_job(
            channel=tip.channel,
            tip_id=tip.tip_id,
            message_id=message_id,
            bundle_window=self._bundle_window,
        )
        # Batched messages are plain texts with a provider id: each is erased at Twilio too.
        for name, args, key in (triage, erase_job(message_id=message_id)):
            row = {"job_name": name, "job_args": args, "job_key": key, "created_at": utcnow()}
            self.jobs.append((position, row))
            self._entries[key] = BulkJob(job_name=name, job_args=args, job_key=key)
