"""What a channel hands to intake and what intake answers; channels depend on this, not service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class IncomingMessage:
    """One normalised message from a reporter, stripped of everything but the minimum."""

    channel: str  # "sms", "whatsapp", "web", "hotline"
    body: str
    received_at: datetime
    provider_id: str | None = None  # Twilio MessageSid / CallSid; None for the web form
    sender: str | None = None  # raw phone address; encrypted by intake, never logged
    place: str | None = None  # the web form's optional place field


@dataclass(frozen=True)
class IntakeReceipt:
    reference: str
    new_tip: bool  # False when the message joined an existing conversation
    replayed: bool  # True when the provider retried a message already stored
    receipt_code: str | None = None  # web only: shown once, stored as a hash


class IntakePort(Protocol):
    async def receive(self, message: IncomingMessage) -> IntakeReceipt: ...

    async def opt_out(self, *, sender: str) -> None: ...
