"""Files that come with a message: their rows, written with it by intake's batch, and the jobs
that fetch them.

Twilio-held files (MMS/WhatsApp media, call recordings) get a pending row and one download job
per message and source; a web upload arrives already cleaned and is sealed at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from channels.ports import IncomingAttachment
from crypto import Keyring, Purpose, provider_id_hash, provider_id_hashes, seal
from service.background.outbox import BulkJob
from service.core.db import among
from service.core.job_names import JobName
from service.core.provider_ids import attachment_context as provider_context
from service.core.provider_ids import seal_provider_id
from service.models import Attachment, AttachmentSource, AttachmentStatus
from service.models.channels import attachment_context

ATTACHMENTS = cast(Table, getattr(Attachment, "__table__"))  # noqa: B009 - SQLModel hides it

# The job that downloads a message's files from Twilio, by source.
_FETCH_JOBS = {
    AttachmentSource.TWILIO_MEDIA: JobName.FETCH_MEDIA,
    AttachmentSource.TWILIO_RECORDING: JobName.FETCH_RECORDING,
}


async def stored_sids(session: AsyncSession, keyring: Keyring, sids: Collection[str]) -> set[str]:
    """Those of these Twilio file ids already stored (a provider retry of their message), found
    by their hash under every provider-id key."""
    if not sids:
        return set()
    sid_of = {hashed: sid for sid in sids for hashed in provider_id_hashes(keyring, sid)}
    found = await session.scalars(
        select(ATTACHMENTS.c.provider_id_hash).where(
            among(session, ATTACHMENTS.c.provider_id_hash, list(sid_of))
        )
    )
    return {sid_of[hashed] for hashed in found}


def attachment_rows(
    keyring: Keyring,
    *,
    tip_id: uuid.UUID,
    message_id: uuid.UUID,
    attachments: Sequence[IncomingAttachment],
    now: datetime,
) -> list[dict[str, Any]]:
    """The rows of a message's files, every row with the same columns (one insert for all)."""
    return [_row(keyring, tip_id, message_id, incoming, now) for incoming in attachments]


def fetch_jobs(message_id: uuid.UUID, rows: Sequence[dict[str, Any]]) -> list[BulkJob]:
    """One job per message and source; refused media is still erased at Twilio by it."""
    jobs = []
    for source in sorted({row["source"] for row in rows if row["provider_id_hash"]}):
        first = next(row for row in rows if row["source"] == source and row["provider_id_hash"])
        name = _FETCH_JOBS[source]
        # Keyed by the first new file, so a later callback adding more files queues again.
        jobs.append(BulkJob(name, [str(message_id)], f"{name}:{message_id}:{first['id']}"))
    return jobs


def _row(
    keyring: Keyring,
    tip_id: uuid.UUID,
    message_id: uuid.UUID,
    incoming: IncomingAttachment,
    now: datetime,
) -> dict[str, Any]:
    attachment_id = uuid.uuid4()
    row: dict[str, Any] = {
        "id": attachment_id,
        "tip_id": tip_id,
        "message_id": message_id,
        "source": AttachmentSource(incoming.source),
        "provider_id_hash": None,
        "provider_id_sealed": None,
        "content_type": incoming.content_type[:100],
        "status": AttachmentStatus.PENDING,
        "refusal": None,
        "size_bytes": None,
        "content_ciphertext": None,
        "created_at": now,
        "stored_at": None,
    }
    if incoming.provider_sid is not None:
        row |= {
            "provider_id_hash": provider_id_hash(keyring, incoming.provider_sid),
            "provider_id_sealed": seal_provider_id(
                keyring, incoming.provider_sid, context=provider_context(attachment_id)
            ),
        }
    if incoming.refusal is not None:
        row |= {"status": AttachmentStatus.REFUSED, "refusal": incoming.refusal}
    elif incoming.content is not None:
        content = seal(
            keyring, Purpose.CONTENT, incoming.content, context=attachment_context(attachment_id)
        )
        row |= {
            "status": AttachmentStatus.STORED,
            "content_ciphertext": content,
            "size_bytes": len(incoming.content),
            "stored_at": now,
        }
    return row
