"""Officers' messages to a reporter: stored encrypted, then sent by the outbound job.

The officer never learns who the reporter is: the message is addressed to the tip, and only the
outbound job (``send_reply``) decrypts the number to hand it to Twilio. Web reporters read it in
their follow-up mailbox instead.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from crypto import Keyring, Purpose, seal_text
from service.background.outbox import add_job
from service.core.job_names import JobName
from service.models import Direction, Message, Tip
from service.models.types import utcnow


def queue_reply(*, session: AsyncSession, keyring: Keyring, tip: Tip, body: str) -> Message:
    """Store an outbound message on the tip and queue its delivery in the same transaction."""
    message_id = uuid.uuid4()
    reply = Message(
        id=message_id,
        tip_id=tip.id,
        direction=Direction.OUTBOUND,
        body_ciphertext=seal_text(keyring, Purpose.CONTENT, body, context=f"message:{message_id}"),
        created_at=utcnow(),
        delivery_status="queued",
    )
    session.add(reply)
    add_job(
        session=session,
        job_name=JobName.SEND_REPLY,
        args=[str(message_id)],
        job_key=f"{JobName.SEND_REPLY}:{message_id}",
    )
    return reply
