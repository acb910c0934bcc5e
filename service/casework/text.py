"""Free text officers type (questions, notes): trimmed, bounded, never empty."""

from __future__ import annotations

from service.casework.errors import InvalidText
from service.casework.vocabulary import MAX_TEXT_LENGTH


def clean_text(raw: str) -> str:
    text = raw.strip()
    if not text or len(text) > MAX_TEXT_LENGTH:
        raise InvalidText()
    return text
