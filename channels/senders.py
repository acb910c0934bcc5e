"""Who sent a message, as intake may keep it: a phone number, or nobody."""

from __future__ import annotations

from crypto import InvalidPhoneNumber, normalise_phone


def phone_sender(raw: str) -> str | None:
    """``raw`` if it is a phone number (``whatsapp:`` prefix allowed), else None.

    An alphanumeric sender id, a short code or a withheld caller id still brings a tip worth
    keeping; there is just no one to keep an identity for, or to answer later.
    """
    try:
        normalise_phone(raw)
    except InvalidPhoneNumber:
        return None
    return raw
