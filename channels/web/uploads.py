"""Reading the citizen form's body in memory, and cleaning its photo before anything is kept.

Starlette spools uploads over 1 MB to a temporary file: an uncleaned photo with its GPS position
would touch the disk. The body is already capped by ``BodySizeLimit``, so it is parsed in memory.
"""

from __future__ import annotations

import asyncio

from fastapi import Request
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser

from channels.errors import MalformedRequest
from channels.media import MediaKind, UnreadableImage, clean_image, kind_of, media_type
from channels.ports import IncomingAttachment

_MAX_FIELDS = 12
_MAX_FIELD_BYTES = 64 * 1024


class PhotoRefused(Exception):
    """The photo is not a JPEG, PNG or WebP image we can read; nothing was kept."""


class PhotoTooLarge(Exception):
    pass


async def read_form(request: Request, *, max_bytes: int) -> FormData:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type == "multipart/form-data":
            parser = MultiPartParser(
                request.headers,
                request.stream(),
                max_files=1,
                max_fields=_MAX_FIELDS,
                max_part_size=_MAX_FIELD_BYTES,
            )
            parser.spool_max_size = max_bytes  # whole photo in memory, never on disk
            return await parser.parse()
        if content_type == "application/x-www-form-urlencoded":
            return await FormParser(request.headers, request.stream()).parse()
    except MultiPartException as error:
        raise MalformedRequest() from error
    raise MalformedRequest()


def text_field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def photo_attachment(
    form: FormData, name: str, *, max_bytes: int
) -> IncomingAttachment | None:
    """The photo field as a cleaned attachment; None when the citizen attached nothing."""
    upload = form.get(name)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    content = await upload.read()
    if not content:
        return None
    if len(content) > max_bytes:
        raise PhotoTooLarge
    declared = media_type(upload.content_type or "")
    if kind_of(declared) is not MediaKind.IMAGE:
        raise PhotoRefused
    try:
        cleaned = await asyncio.to_thread(clean_image, content, declared)
    except UnreadableImage as error:
        raise PhotoRefused from error
    return IncomingAttachment(source="web_upload", content_type=declared, content=cleaned)
