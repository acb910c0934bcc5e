"""Internal notes: officers' words about a tip, sealed at rest like the reporter's messages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crypto import Keyring, Purpose, open_text, seal_text
from service.casework.access import tip_target
from service.casework.text import clean_text
from service.core.audit import record_audit
from service.models import InternalNote, StaffUser, Tip


@dataclass(frozen=True)
class NoteView:
    author: str
    created_at: datetime
    text: str


def _context(note_id: uuid.UUID) -> str:
    return f"note:{note_id}"


async def add_note(
    *,
    session: AsyncSession,
    keyring: Keyring,
    tip: Tip,
    author: StaffUser,
    body: str,
    now: datetime,
) -> InternalNote:
    note_id = uuid.uuid4()
    note = InternalNote(
        id=note_id,
        tip_id=tip.id,
        author_id=author.id,
        body_ciphertext=seal_text(
            keyring, Purpose.CONTENT, clean_text(body), context=_context(note_id)
        ),
        created_at=now,
    )
    session.add(note)
    await record_audit(
        session=session,
        actor=author,
        action="tip.note_added",
        target=tip_target(tip),
    )
    return note


async def notes_of(*, session: AsyncSession, keyring: Keyring, tip_id: uuid.UUID) -> list[NoteView]:
    rows = await session.execute(
        select(InternalNote, col(StaffUser.username))
        .join(StaffUser, col(StaffUser.id) == col(InternalNote.author_id))
        .where(col(InternalNote.tip_id) == tip_id)
        .order_by(col(InternalNote.created_at))
    )
    return [
        NoteView(
            author=username,
            created_at=note.created_at,
            text=open_text(
                keyring, Purpose.CONTENT, note.body_ciphertext, context=_context(note.id)
            ),
        )
        for note, username in rows.all()
    ]


async def erase_notes(
    *, session: AsyncSession, keyring: Keyring, tip_id: uuid.UUID, tombstone: str
) -> int:
    """Retention: officers' notes quote the tip, so they are tombstoned with its content.

    Rows stay (the trail and the counts refer to them); only what they said is overwritten.
    """
    notes = (
        await session.scalars(select(InternalNote).where(col(InternalNote.tip_id) == tip_id))
    ).all()
    for note in notes:
        note.body_ciphertext = seal_text(
            keyring, Purpose.CONTENT, tombstone, context=_context(note.id)
        )
    return len(notes)
