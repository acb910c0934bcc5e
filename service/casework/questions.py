"""A question to the reporter, sent through the officers' reply path without revealing them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crypto import Keyring
from service.casework.access import ensure_open, tip_target
from service.casework.errors import CallerNotToldOfTexts, ReporterUnreachable
from service.casework.text import clean_text
from service.core.audit import record_audit
from service.models import (
    Attachment,
    AttachmentSource,
    Channel,
    Direction,
    Message,
    Reporter,
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
    await record_audit(
        session=session,
        actor=staff,
        action="tip.question_sent",
        target=tip_target(tip),
        # Which channel carries it, never what it says: the text is the reporter's business.
        details={"channel": tip.channel},
    )
    return message
