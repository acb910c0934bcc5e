"""A question to the reporter, sent through the officers' reply path without revealing them."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crypto import Keyring
from service.casework.access import ensure_open, tip_target
from service.casework.errors import CallerNotToldOfTexts, ReporterUnreachable
from service.casework.text import clean_text
from service.core.audit import record_audit
from service.core.db import among
from service.models import (
    Attachment,
    AttachmentSource,
    Channel,
    Direction,
    Message,
    Reporter,
    ReporterQuestion,
    StaffUser,
    Tip,
)
from service.reporters.replies import queue_reply


async def reporter_reachable(*, session: AsyncSession, tip: Tip) -> bool:
    """Whether a question can reach the source: web reporters read it at their follow-up page;
    others need a number still held (a withheld caller ID or an operator's entry has none, STOP
    and retention destroy it)."""
    if tip.channel == Channel.WEB:
        return True
    if tip.reporter_id is None:
        return False
    reporter = await session.get(Reporter, tip.reporter_id)
    return reporter is not None and reporter.identity_ciphertext is not None


async def told_of_texts(*, session: AsyncSession, tip: Tip) -> bool:
    """A green-number caller may get an SMS only once told the office may text them (at the
    end of the call, with how to refuse), or once they texted the office themselves."""
    if tip.channel != Channel.HOTLINE:
        return True
    told = await session.scalar(
        select(col(Message.id)).where(
            col(Message.tip_id) == tip.id, col(Message.texts_notice_at).is_not(None)
        )
    )
    if told is not None:
        return True
    recordings = select(col(Attachment.message_id)).where(
        col(Attachment.tip_id) == tip.id,
        col(Attachment.source) == AttachmentSource.TWILIO_RECORDING,
    )
    texted = await session.scalar(
        select(col(Message.id)).where(
            col(Message.tip_id) == tip.id,
            col(Message.direction) == Direction.INBOUND,
            col(Message.provider_id_hash).is_not(None),  # came through Twilio: not an entry
            col(Message.transcript_of).is_(None),
            col(Message.id).not_in(recordings),
        )
    )
    return texted is not None


async def ask_reporter(
    *, session: AsyncSession, keyring: Keyring, tip: Tip, staff: StaffUser, body: str
) -> Message:
    """Web reporters read it at their follow-up page; phone reporters get it by SMS."""
    text = clean_text(body)
    ensure_open(tip)
    if not await reporter_reachable(session=session, tip=tip):
        raise ReporterUnreachable()
    if not await told_of_texts(session=session, tip=tip):
        raise CallerNotToldOfTexts()
    message = queue_reply(session=session, keyring=keyring, tip=tip, body=text)
    await session.flush()  # the question's row points to its message: the message goes first
    session.add(
        ReporterQuestion(
            tip_id=tip.id, asked_by=staff.id, message_id=message.id, asked_at=message.created_at
        )
    )
    await record_audit(
        session=session,
        actor=staff,
        action="tip.question_sent",
        target=tip_target(tip),
        # Which channel carries it, never what it says: the text is the reporter's business.
        details={"channel": tip.channel},
    )
    return message


def answer_waiting(asker: uuid.UUID | None = None) -> ColumnElement[bool]:
    """The tip of the enclosing query has an answer to a question that its asker (``asker``'s,
    if given) has not read yet: a message from the reporter after it, a transcript aside."""
    answer = (
        select(col(Message.id))
        .where(
            col(Message.tip_id) == col(ReporterQuestion.tip_id),
            col(Message.direction) == Direction.INBOUND,
            col(Message.transcript_of).is_(None),
            col(Message.created_at) > col(ReporterQuestion.asked_at),
        )
        .exists()
    )
    question = select(col(ReporterQuestion.id)).where(
        col(ReporterQuestion.tip_id) == col(Tip.id),
        col(ReporterQuestion.answer_read_at).is_(None),
        answer,
    )
    if asker is not None:
        question = question.where(col(ReporterQuestion.asked_by) == asker)
    return question.exists()


async def answers_waiting(
    *, session: AsyncSession, tip_ids: Collection[uuid.UUID], viewer: uuid.UUID | None
) -> dict[uuid.UUID, bool]:
    """The tips among these with an answer not read yet: True where ``viewer`` asked."""
    if not tip_ids:
        return {}
    rows = await session.execute(
        select(col(Tip.id), answer_waiting(viewer) if viewer else literal(False)).where(
            among(session, col(Tip.id), tip_ids), answer_waiting()
        )
    )
    return {tip_id: bool(mine) for tip_id, mine in rows}


async def read_answers(
    *, session: AsyncSession, tip: Tip, reader: StaffUser, now: datetime
) -> bool:
    """The reader opened the tip: the answers to their questions are read. Whether one was
    waiting (the page that opens shows it « réponse reçue » one last time)."""
    waiting = await answers_waiting(session=session, tip_ids=[tip.id], viewer=reader.id)
    if not waiting.get(tip.id):
        return bool(waiting)
    answered = (
        select(col(Message.id))
        .where(
            col(Message.tip_id) == tip.id,
            col(Message.direction) == Direction.INBOUND,
            col(Message.transcript_of).is_(None),
            col(Message.created_at) > col(ReporterQuestion.asked_at),
        )
        .exists()
    )
    await session.execute(
        update(ReporterQuestion)
        .where(
            col(ReporterQuestion.tip_id) == tip.id,
            col(ReporterQuestion.asked_by) == reader.id,
            col(ReporterQuestion.answer_read_at).is_(None),
            answered,
        )
        .values(answer_read_at=now),
        execution_options={"synchronize_session": False},
    )
    return True
