"""Twilio's ids for what a reporter sent, kept only as long as Twilio keeps its copy.

A row holds the id's keyed hash for good (``crypto.provider_ids``: de-duplication, status
callbacks) and the id itself sealed, with an identity key bound to the row, only until the job
that deletes Twilio's copy has done so: Twilio's record of a message or call holds the number,
so the plain id is as sensitive as the number while that record exists.
"""

from __future__ import annotations

import uuid

from crypto import Keyring, Purpose, open_text, seal_text


def message_context(message_id: uuid.UUID) -> str:
    return f"provider:message:{message_id}"


def attachment_context(attachment_id: uuid.UUID) -> str:
    return f"provider:attachment:{attachment_id}"


def seal_provider_id(keyring: Keyring, provider_id: str, *, context: str) -> bytes:
    return seal_text(keyring, Purpose.IDENTITY, provider_id, context=context)


def open_provider_id(keyring: Keyring, sealed: bytes | None, *, context: str) -> str | None:
    """The plain id, or None once Twilio's copy is gone (or it was never at Twilio)."""
    if sealed is None:
        return None
    return open_text(keyring, Purpose.IDENTITY, sealed, context=context)
