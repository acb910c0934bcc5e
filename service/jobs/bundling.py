"""``triage_bundled``: triage an SMS/WhatsApp tip once the reporter has stopped typing.

People split one account over several texts. Each text's job waits until the bundling window
has passed since that text (arq's ``Retry`` with a delay: no worker slot is held meanwhile);
a job whose text was followed by another within the window leaves the triage to the later
text's job, which then reads them all. A burst of texts is thus triaged once, as one message.

A job that triages joins the worker's triage batch, which marks its outbox entry complete with
the decision; one that does not marks it itself.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from arq.worker import Retry
from sqlalchemy import select
from sqlmodel import col

from service.jobs.registry import complete_outbox_entry
from service.jobs.triage import triage_tip
from service.models import Message, Tip
from service.models.types import utcnow
from service.runtime import runtime_of

BUNDLE_MAX_TRIES = 5


async def triage_bundled(ctx: dict[str, Any], tip_id: str, message_id: str) -> str:
    runtime = runtime_of(ctx)
    async with runtime.sessions() as session:
        found = (
            await session.execute(
                select(col(Message.created_at), col(Tip.last_message_at))
                .join(Tip, col(Tip.id) == col(Message.tip_id))
                .where(col(Message.id) == uuid.UUID(message_id))
            )
        ).first()
    if found is None:
        await complete_outbox_entry(ctx)
        return "skipped"
    sent_at, last_message_at = found
    if last_message_at > sent_at:
        await complete_outbox_entry(ctx)
        return "bundled"  # a later text's own job triages the whole bundle
    wait = sent_at + timedelta(seconds=runtime.settings.sms_bundle_seconds) - utcnow()
    if wait > timedelta(0) and int(ctx.get("job_try", 1)) < BUNDLE_MAX_TRIES:
        raise Retry(defer=wait)
    return await triage_tip(ctx, tip_id)
