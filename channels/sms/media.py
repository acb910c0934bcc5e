"""MMS and WhatsApp media as Twilio posts them: ``NumMedia``, ``MediaUrl{i}`` and
``MediaContentType{i}``.

Only the SIDs are kept from each URL: the download job asks Twilio's API for them with the
account credentials, so a URL in a request is never fetched as such.
"""

from __future__ import annotations

import re

from channels.media import REFUSED_TYPE, kind_of, media_type
from channels.ports import IncomingAttachment

# Twilio sends at most 10 media per message.
MAX_MEDIA = 10
_MEDIA_URL = re.compile(
    r"/Messages/(MM[0-9a-fA-F]{32}|SM[0-9a-fA-F]{32})/Media/(ME[0-9a-fA-F]{32})$"
)


def media_attachments(form: dict[str, str]) -> tuple[IncomingAttachment, ...]:
    """The message's media; a type we do not accept is marked refused (still erased at Twilio)."""
    count = form.get("NumMedia", "0")
    attachments = []
    for index in range(min(int(count) if count.isdigit() else 0, MAX_MEDIA)):
        match = _MEDIA_URL.search(form.get(f"MediaUrl{index}", ""))
        if match is None:
            continue
        content_type = media_type(form.get(f"MediaContentType{index}", ""))
        attachments.append(
            IncomingAttachment(
                source="twilio_media",
                content_type=content_type,
                provider_sid=match.group(2),
                refusal=None if kind_of(content_type) else REFUSED_TYPE,
            )
        )
    return tuple(attachments)


def any_refused(attachments: tuple[IncomingAttachment, ...]) -> bool:
    return any(attachment.refusal is not None for attachment in attachments)
