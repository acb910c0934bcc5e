"""Operator entry: a hotline operator answering live types the tip on the caller's behalf.

Called by the staff console's form (which owns sign-in and roles). The operator reads the
returned reference out to the caller. No caller ID is taken: the console never sees one.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from channels.errors import MalformedRequest
from channels.ports import IncomingMessage, IntakePort, IntakeReceipt

MAX_TEXT_CHARS = 4000
MAX_PLACE_CHARS = 120


async def enter_operator_tip(
    *,
    intake: IntakePort,
    text: str,
    place: str | None,
    operator_id: uuid.UUID,
    entry_id: uuid.UUID | None = None,
) -> IntakeReceipt:
    """File a hotline tip entered by ``operator_id``.

    ``entry_id``: the form's own id, if the console has one, so a double submit files one tip.
    """
    text = text.strip()
    place = (place or "").strip() or None
    if not text or len(text) > MAX_TEXT_CHARS:
        raise MalformedRequest(f"Texte vide ou trop long ({MAX_TEXT_CHARS} caractères au plus).")
    if place is not None and len(place) > MAX_PLACE_CHARS:
        raise MalformedRequest(f"Lieu trop long ({MAX_PLACE_CHARS} caractères au plus).")
    return await intake.receive(
        IncomingMessage(
            channel="hotline",
            body=text,
            received_at=datetime.now(UTC),
            provider_id=f"operator:{entry_id}" if entry_id else None,
            place=place,
            entered_by=operator_id,
        )
    )
