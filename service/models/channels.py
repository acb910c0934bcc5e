"""What the channels add to a tip: photos, voice notes and call recordings, operator entries."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, LargeBinary, String
from sqlmodel import Field, SQLModel

from service.models.types import UTCDateTime, utcnow


class AttachmentSource(StrEnum):
    TWILIO_MEDIA = "twilio_media"  # MMS or WhatsApp media (MediaUrl{i})
    TWILIO_RECORDING = "twilio_recording"  # a green-number voicemail
    WEB_UPLOAD = "web_upload"  # the photo of the citizen web form


class AttachmentStatus(StrEnum):
    PENDING = "pending"  # still at Twilio: the download job has not run yet
    STORED = "stored"  # downloaded, cleaned and sealed here
    REFUSED = "refused"  # type or size not accepted (see ``refusal``); nothing kept
    FAILED = "failed"  # could not be downloaded after every try


# A failed recording whose ``refusal`` is one of these is still at Twilio (too large, or its
# download failed): kept there, never deleted, for an operator's retry.
RETRYABLE_RECORDING_FAILURES = frozenset({"too_large", "download"})


def retryable(refusal: str | None) -> bool:
    """A recording failure a retry can mend: Twilio still holds the recording."""
    return refusal in RETRYABLE_RECORDING_FAILURES


class Attachment(SQLModel, table=True):
    """A file a reporter sent. Its bytes are sealed like message text, bound to this row."""

    __tablename__ = "attachments"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tip_id: uuid.UUID = Field(foreign_key="tips.id", index=True)
    message_id: uuid.UUID = Field(foreign_key="messages.id", index=True)
    source: AttachmentSource = Field(sa_type=String(24))
    # MediaSid (ME…) or RecordingSid (RE…) as a keyed hash (crypto.provider_ids): a retry of
    # the message adds no second row. The id itself is sealed (identity key, bound to this row)
    # until the job has downloaded the file and deleted it at Twilio, then set to NULL.
    provider_id_hash: str | None = Field(default=None, sa_column=Column(String(64), unique=True))
    provider_id_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    content_type: str = Field(sa_type=String(100))
    status: AttachmentStatus = Field(default=AttachmentStatus.PENDING, sa_type=String(16))
    refusal: str | None = Field(default=None, sa_type=String(32))
    size_bytes: int | None = None
    # Sealed with the content key, context "attachment:<id>"; images without their metadata.
    content_ciphertext: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    stored_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When Twilio's copy was deleted; None while Twilio still holds it (or for web uploads).
    provider_erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def attachment_context(attachment_id: uuid.UUID) -> str:
    """What a file's sealed bytes are bound to: its own row (they cannot be moved to another)."""
    return f"attachment:{attachment_id}"


class OperatorEntry(SQLModel, table=True):
    """A hotline message typed by an operator on the caller's behalf: who entered it."""

    __tablename__ = "operator_entries"

    message_id: uuid.UUID = Field(foreign_key="messages.id", primary_key=True)
    staff_user_id: uuid.UUID = Field(foreign_key="staff_users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
