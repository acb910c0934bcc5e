"""The one way a reporter's stored file leaves the server, for the console and the API alike:
decrypted for this response only, never cached, never sniffed, and each view in the audit trail.

A player asks for an audio file in several range requests (the start, then wherever the listener
seeks): only a request from the first byte is a new view, so one listening is one audit entry,
not one per seek.
"""

from __future__ import annotations

import asyncio
import random
import uuid

from fastapi import Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from crypto import Keyring
from service.casework.access import tip_of_case, tip_target
from service.casework.attachments import OPAQUE, OpenedFile, open_attachment
from service.casework.tip_view import merged_tip_ids
from service.core.audit import record_audit
from service.core.byte_ranges import ranged_response
from service.core.db import transaction
from service.models import Case, StaffUser, Tip
from service.runtime import Runtime

FILE_VIEWED = "tip.file_viewed"
_TRIES = 5
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache", "X-Content-Type-Options": "nosniff"}


async def tip_file_response(
    request: Request,
    *,
    session: AsyncSession,
    keyring: Keyring,
    viewer: StaffUser,
    tip: Tip,
    attachment_id: uuid.UUID,
) -> Response:
    """A file of ``tip`` or of a tip merged into it (part of what the officer reads on its
    page); 404 for any other."""
    also_of = await merged_tip_ids(session=session, tip=tip)
    opened = await open_attachment(
        session=session, keyring=keyring, tip_ids={tip.id, *also_of}, attachment_id=attachment_id
    )
    return await file_response(request, viewer=viewer, tip=tip, opened=opened)


async def case_file_response(
    request: Request,
    *,
    session: AsyncSession,
    keyring: Keyring,
    viewer: StaffUser,
    case: Case,
    attachment_id: uuid.UUID,
) -> Response:
    """A file of the case's tip or of a tip merged into it; the caller has already answered 404
    for another antenna's case."""
    tip = await tip_of_case(session=session, case=case)
    return await tip_file_response(
        request,
        session=session,
        keyring=keyring,
        viewer=viewer,
        tip=tip,
        attachment_id=attachment_id,
    )


async def file_response(
    request: Request, *, viewer: StaffUser, tip: Tip, opened: OpenedFile
) -> Response:
    range_header = request.headers.get("range")
    if _starts_a_view(range_header):
        await _record_view(request, viewer, tip, opened)
    # What the browser may render is shown in the page; anything else is only a download.
    disposition = "attachment" if opened.media_type == OPAQUE else "inline"
    headers = _NO_STORE | {"Content-Disposition": f'{disposition}; filename="{opened.filename}"'}
    return ranged_response(
        opened.content, media_type=opened.media_type, range_header=range_header, headers=headers
    )


async def _record_view(request: Request, viewer: StaffUser, tip: Tip, opened: OpenedFile) -> None:
    """In a short transaction of its own, committed before the bytes leave.

    A page with several photos fetches them at once, and a player may ask twice for the start
    of a sound. PostgreSQL serialises appends to the audit chain with a lock; on SQLite two at
    once can read the same tail, and the second to commit is refused (the chain never forks):
    that one is written again, a moment later, on top of the new tail."""
    runtime: Runtime = request.app.state.runtime
    details = {"attachment": audit_name(opened.attachment_id), "media": opened.kind}
    for attempt in range(1, _TRIES + 1):
        try:
            async with transaction(runtime.sessions) as own:
                await record_audit(
                    session=own,
                    actor=viewer,
                    action=FILE_VIEWED,
                    target=tip_target(tip),
                    details=details,
                )
            return
        except IntegrityError:
            if attempt == _TRIES:
                raise
            await asyncio.sleep(random.uniform(0.005, 0.05) * attempt)


def audit_name(attachment_id: uuid.UUID) -> str:
    """The file's id in groups of four: the trail refuses anything with eight digits in a row
    (it could be a phone number), which a plain UUID has now and then."""
    digits = attachment_id.hex
    return "-".join(digits[start : start + 4] for start in range(0, len(digits), 4))


def _starts_a_view(range_header: str | None) -> bool:
    """The whole file, or a part from its first byte (how a player starts); not a seek."""
    if range_header is None:
        return True
    return range_header.replace(" ", "").startswith("bytes=0-")
