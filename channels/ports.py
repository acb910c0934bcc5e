"""What a channel hands to intake and what intake answers; channels depend on this, not service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class IncomingAttachment:
    """A file that came with a message: still at Twilio (``provider_sid``) or uploaded here."""

    source: str  # "twilio_media", "twilio_recording", "web_upload"
    content_type: str
    provider_sid: str | None = None  # MediaSid / RecordingSid, downloaded later by a job
    content: bytes | None = field(default=None, repr=False)  # web upload, already cleaned
    refusal: str | None = None  # set by the channel when the type is not accepted


@dataclass(frozen=True)
class IncomingMessage:
    """One normalised message from a reporter, stripped of everything but the minimum."""

    channel: str  # "sms", "whatsapp", "web", "hotline"
    body: str
    received_at: datetime
    provider_id: str | None = None  # Twilio MessageSid / CallSid; None for the web form
    sender: str | None = None  # raw phone address; encrypted by intake, never logged
    place: str | None = None  # the web form's optional place field
    attachments: tuple[IncomingAttachment, ...] = ()
    # Web follow-up: the reference of a tip the channel has already checked the receipt code of.
    follow_up_of: str | None = None
    # Web: the receipt code shown once to the citizen; intake stores only its Argon2id hash.
    receipt_code: str | None = field(default=None, repr=False)
    # Hotline: the operator who typed the tip on the caller's behalf.
    entered_by: uuid.UUID | None = None
    # Hotline: the language the caller chose in the menu ("fr", "bm").
    language: str | None = None


@dataclass(frozen=True)
class IntakeReceipt:
    reference: str
    new_tip: bool  # False when the message joined an existing conversation
    replayed: bool  # True when the provider retried a message already stored
    receipt_code: str | None = None  # web only: shown once, stored as a hash


class IntakePort(Protocol):
    async def receive(self, message: IncomingMessage) -> IntakeReceipt: ...

    async def opt_out(self, *, sender: str) -> None: ...

    async def forget_call(self, *, provider_id: str) -> None:
        """A call that left no message: have it deleted at the provider (it holds the number)."""
        ...

    async def note_texts_notice(self, *, provider_id: str) -> None:
        """The caller of this (stored) call was told the office may text them, and how to
        refuse: an officer's question may now go to them by SMS."""
        ...


@dataclass(frozen=True)
class MailboxEntry:
    from_office: bool  # True for an officer's message, False for the citizen's own
    text: str
    sent_at: datetime


@dataclass(frozen=True)
class Mailbox:
    """A web tip's conversation, as its citizen sees it after giving reference + receipt code."""

    reference: str
    entries: tuple[MailboxEntry, ...]


class MailboxPort(Protocol):
    async def open(self, *, reference: str, receipt_code: str) -> Mailbox | None:
        """The mailbox if the code matches; None for a wrong code or an unknown reference."""
        ...

    async def read(self, *, reference: str) -> Mailbox | None:
        """The mailbox of a reference the channel has already checked."""
        ...


class DeliveryPort(Protocol):
    async def record_delivery(
        self, *, provider_id: str, status: str, error_code: str | None
    ) -> None: ...
