"""What an SMS costs: GSM-7 text fits 160 characters in one segment; one character outside the
GSM-7 alphabet (« ê », « ç », a typographic apostrophe) turns the whole message into UCS-2, 70
characters per segment.

Citizens pay for what they receive on many plans, and a basic phone shows a long message in
pieces: every automatic SMS is written to fit one GSM-7 segment (checked by the tests over the
translation catalogue).
"""

from __future__ import annotations

# GSM 03.38 default alphabet, and the extension table (each of those costs two characters).
_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
SEGMENT_CHARACTERS = 160


def gsm7_length(text: str) -> int | None:
    """The message's length in GSM-7 characters; None when it cannot be sent as GSM-7."""
    length = 0
    for character in text:
        if character in _GSM7:
            length += 1
        elif character in _GSM7_EXTENDED:
            length += 2
        else:
            return None
    return length


def fits_one_segment(text: str) -> bool:
    length = gsm7_length(text)
    return length is not None and length <= SEGMENT_CHARACTERS
