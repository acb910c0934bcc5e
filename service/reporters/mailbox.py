"""The web reporter's mailbox: the tip's conversation, opened with reference + receipt code.

Officers' messages to a web tip are not sent anywhere: they wait here, and are marked read when
the citizen opens the mailbox. Each method is one unit of work (like ``IntakeService.receive``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import cache

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from channels.ports import Mailbox, MailboxEntry
from crypto import (
    Keyring,
    Purpose,
    hash_receipt_code,
    new_receipt_code,
    normalise_reference,
    open_text,
    verify_receipt_code,
)
from service.core.db import SessionMaker, transaction
from service.models import Channel, Direction, Message, Tip

# Outbound messages the citizen has not opened yet.
_UNREAD = frozenset({"queued", "mailbox"})


@cache
def _decoy_hash() -> str:
    """A hash no code matches, verified for unknown references so that they cost the same."""
    return hash_receipt_code(new_receipt_code())


class WebMailbox:
    def __init__(self, *, sessions: SessionMaker, keyring: Keyring) -> None:
        self._sessions = sessions
        self._keyring = keyring

    async def open(self, *, reference: str, receipt_code: str) -> Mailbox | None:
        canonical = normalise_reference(reference)
        stored_hash = None
        if canonical is not None:
            async with self._sessions() as session:
                tip = await _web_tip(session=session, reference=canonical)
                stored_hash = tip.receipt_code_hash if tip else None
        # Argon2 runs whatever the reference, off the event loop: no timing tells them apart.
        matches = await asyncio.to_thread(
            verify_receipt_code, stored_hash or _decoy_hash(), receipt_code
        )
        if not matches or stored_hash is None or canonical is None:
            return None
        return await self.read(reference=canonical)

    async def read(self, *, reference: str) -> Mailbox | None:
        async with transaction(self._sessions) as session:
            tip = await _web_tip(session=session, reference=reference)
            if tip is None:
                return None
            messages = await _conversation(session=session, tip=tip)
            for message in messages:
                if message.direction == Direction.OUTBOUND and message.delivery_status in _UNREAD:
                    message.delivery_status = "read"
            entries = tuple(self._entry(message) for message in messages)
        return Mailbox(reference=tip.reference, entries=entries)

    def _entry(self, message: Message) -> MailboxEntry:
        text = open_text(
            self._keyring, Purpose.CONTENT, message.body_ciphertext, context=f"message:{message.id}"
        )
        return MailboxEntry(
            from_office=message.direction == Direction.OUTBOUND,
            text=text,
            sent_at=message.created_at,
        )


async def _web_tip(*, session: AsyncSession, reference: str) -> Tip | None:
    found = await session.scalars(
        select(Tip).where(col(Tip.reference) == reference, col(Tip.channel) == Channel.WEB)
    )
    return found.first()


async def _conversation(*, session: AsyncSession, tip: Tip) -> Sequence[Message]:
    found = await session.scalars(
        select(Message).where(col(Message.tip_id) == tip.id).order_by(col(Message.created_at))
    )
    return found.all()
