"""The files a reporter sent (photos, voice notes, voicemails) as officers and chiefs see them:
listed with nothing of the provider's (no URL, no sid), and opened for one response only.

A file is opened only for a tip the asker may read, and is described to the browser by one of
the types intake accepts (photos it re-encoded, the sounds phones and Twilio send). A stored
file of any other type goes out as an opaque download, never as something a browser renders.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from channels.media import ACCEPTED_TYPES, media_type
from crypto import Keyring, Purpose, open_sealed
from service.casework.errors import FileNotFound
from service.core.db import among
from service.models import Attachment, AttachmentSource, AttachmentStatus
from service.models.channels import attachment_context

# What a browser may be told a file is, and the kind of player the page gives it. Twilio sends
# a voicemail as MP3, or WAV when asked; the rest are the types intake accepts.
SERVED_TYPES: dict[str, str] = {
    **{name: kind.value for name, kind in ACCEPTED_TYPES.items()},
    "audio/wav": "audio",
    "audio/x-wav": "audio",
}
OPAQUE = "application/octet-stream"
OTHER = "other"
_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "audio/ogg": "ogg",
    "audio/amr": "amr",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/aac": "aac",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
}
ERASED = "erased"  # stored once, its bytes destroyed by retention


@dataclass(frozen=True)
class AttachmentView:
    """One file as a page or the API lists it."""

    id: uuid.UUID
    message_id: uuid.UUID
    source: str
    status: str  # AttachmentStatus, or ERASED
    content_type: str
    size_bytes: int | None

    @property
    def kind(self) -> str:
        """ "image", "audio", or "other" (offered as a download only)."""
        return SERVED_TYPES.get(media_type(self.content_type), OTHER)

    @property
    def viewable(self) -> bool:
        return self.status == AttachmentStatus.STORED

    @property
    def recording(self) -> bool:
        """A green-number voicemail: its page shows it with the call, not as a sent file."""
        return self.source == AttachmentSource.TWILIO_RECORDING


@dataclass(frozen=True)
class OpenedFile:
    """A file decrypted for one response."""

    attachment_id: uuid.UUID
    tip_id: uuid.UUID
    content: bytes
    media_type: str  # one of SERVED_TYPES, else OPAQUE
    kind: str

    @property
    def filename(self) -> str:
        """Made of the row's id only: nothing the reporter named the file travels."""
        extension = _EXTENSIONS.get(self.media_type, "bin")
        return f"piece-{self.attachment_id.hex[:12]}.{extension}"


async def attachments_of(
    *, session: AsyncSession, tip_ids: Collection[uuid.UUID]
) -> list[AttachmentView]:
    """The tips' files in the order they came, without reading their (large) sealed bytes."""
    if not tip_ids:
        return []
    rows = await session.execute(
        select(
            col(Attachment.id),
            col(Attachment.message_id),
            col(Attachment.source),
            col(Attachment.status),
            col(Attachment.content_type),
            col(Attachment.size_bytes),
            col(Attachment.content_ciphertext).is_not(None),
        )
        .where(among(session, col(Attachment.tip_id), tip_ids))
        .order_by(col(Attachment.created_at), col(Attachment.id))
    )
    return [
        AttachmentView(
            id=attachment_id,
            message_id=message_id,
            source=source,
            status=ERASED if status == AttachmentStatus.STORED and not kept else status,
            content_type=content_type,
            size_bytes=size,
        )
        for attachment_id, message_id, source, status, content_type, size, kept in rows
    ]


async def open_attachment(
    *,
    session: AsyncSession,
    keyring: Keyring,
    tip_ids: Collection[uuid.UUID],
    attachment_id: uuid.UUID,
) -> OpenedFile:
    """A stored file of one of these tips, decrypted; FileNotFound for any other file (another
    tip's answers exactly like one that does not exist), or one not here (yet, or any more)."""
    row = await session.get(Attachment, attachment_id)
    if row is None or row.tip_id not in set(tip_ids):
        raise FileNotFound()
    return opened(keyring, row)


def opened(keyring: Keyring, row: Attachment) -> OpenedFile:
    if row.status != AttachmentStatus.STORED or row.content_ciphertext is None:
        raise FileNotFound()
    content = open_sealed(
        keyring, Purpose.CONTENT, row.content_ciphertext, context=attachment_context(row.id)
    )
    declared = media_type(row.content_type)
    kind = SERVED_TYPES.get(declared, OTHER)
    served = declared if kind != OTHER else OPAQUE
    return OpenedFile(row.id, row.tip_id, content, served, kind)
