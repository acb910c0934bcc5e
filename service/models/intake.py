"""Reporters, tips and their messages: everything a citizen sends, encrypted at rest."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, LargeBinary, String, text
from sqlmodel import Field, SQLModel

from service.models.types import UTCDateTime, utcnow


class Channel(StrEnum):
    SMS = "sms"
    WHATSAPP = "whatsapp"
    WEB = "web"
    HOTLINE = "hotline"


class TipStatus(StrEnum):
    RECEIVED = "received"  # stored, waiting for the triage job
    AWAITING_OFFICER = "awaiting_officer"  # triaged, a duty officer must decide
    ROUTED = "routed"  # a case exists for one antenna
    CLOSED = "closed"


CLOSED_AT_SET = "closed_at IS NOT NULL"
CONTENT_TO_ERASE = "closed_at IS NOT NULL AND content_erased_at IS NULL"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Reporter(SQLModel, table=True):
    """A source. Only the blind index finds it; only the outbound job ever decrypts it."""

    __tablename__ = "reporters"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    blind_index: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    # AES-GCM under an identity key, bound to this row id (see crypto.envelope).
    identity_ciphertext: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    pseudonym: str = Field(sa_column=Column(String(16), unique=True, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    opted_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    identity_destroyed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Tip(SQLModel, table=True):
    __tablename__ = "tips"
    __table_args__ = (
        # The queue's waiting tips and its past views, by status then arrival.
        Index("ix_tips_status_received_at", "status", "received_at"),
        # A source's earlier tips, most recent first, a few at a time.
        Index("ix_tips_reporter_id_received_at", "reporter_id", "received_at"),
        # Retention's two passes walk closed tips in the order their periods run out: the
        # numbers' pass every closed tip once (a cursor keeps its place between runs), the
        # content's pass only what is still to erase, so a tip erased leaves the index.
        Index(
            "ix_tips_closed_at",
            "closed_at",
            "id",
            postgresql_where=text(CLOSED_AT_SET),
            sqlite_where=text(CLOSED_AT_SET),
        ),
        Index(
            "ix_tips_content_to_erase",
            "closed_at",
            "id",
            postgresql_where=text(CONTENT_TO_ERASE),
            sqlite_where=text(CONTENT_TO_ERASE),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    reference: str = Field(sa_column=Column(String(16), unique=True, nullable=False))
    channel: Channel = Field(sa_type=String(16))
    status: TipStatus = Field(default=TipStatus.RECEIVED, sa_type=String(24), index=True)
    reporter_id: uuid.UUID | None = Field(default=None, foreign_key="reporters.id", index=True)
    # Web reporters have no phone: they come back with reference + receipt code (Argon2id hash).
    receipt_code_hash: str | None = Field(default=None, sa_type=String(128))
    # The web form's optional place field, sealed like the message text.
    place_hint_ciphertext: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    last_message_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Set while the tip is closed: when it closed, or its last message if one came after (a
    # reporter's answer on /suivi). Retention's periods count from it.
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When retention tombstoned what the reporter wrote (also audited as tip.content_erased).
    content_erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    def mark_closed(self, at: datetime) -> None:
        self.status = TipStatus.CLOSED
        self.closed_at = at

    def mark_reopened(self, status: TipStatus) -> None:
        self.status = status
        self.closed_at = None


class Message(SQLModel, table=True):
    __tablename__ = "messages"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tip_id: uuid.UUID = Field(foreign_key="tips.id", index=True)
    direction: Direction = Field(sa_type=String(8))
    # The provider's id (MessageSid, CallSid, the web form's id) only as a keyed hash
    # (crypto.provider_ids): unique, so a retry cannot add a second row, and a status callback
    # finds its reply; nothing in a dump can be matched to Twilio's records.
    provider_id_hash: str | None = Field(default=None, sa_column=Column(String(64), unique=True))
    # The id itself, sealed with an identity key bound to this row, only while Twilio still
    # holds the message or call: the jobs need it to delete it there, then set it to NULL.
    provider_id_sealed: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    # An operator's transcript: the call (message) whose recording it transcribes.
    transcript_of: uuid.UUID | None = Field(
        default=None, foreign_key="messages.id", sa_column_kwargs={"unique": True}
    )
    body_ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivery_status: str | None = Field(default=None, sa_type=String(16))
