"""HTTP range requests (RFC 9110 §14) over bytes already in memory.

An operator going back ten seconds in a three-minute voicemail makes the browser ask for
``Range: bytes=N-``; without a 206 answer the player cannot seek at all. The audio is decrypted
for each request anyway, so serving a slice costs nothing more than serving the whole.

One range is served; a request for several (rare, and never sent by an audio player) gets the
whole body with 200, which the RFC allows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from starlette.responses import Response

_SINGLE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class UnsatisfiableRange(Exception):
    """The range asked for lies wholly outside the body: answered 416."""


def requested_slice(header: str | None, length: int) -> slice | None:
    """The part of a ``length``-byte body that ``header`` asks for; None for the whole body."""
    if header is None:
        return None
    match = _SINGLE_RANGE.fullmatch(header.strip())
    if match is None:
        return None  # several ranges or another unit: the whole body, as the RFC allows
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # "bytes=-N": the last N bytes
        suffix = int(last)
        if suffix == 0:
            raise UnsatisfiableRange
        return slice(max(0, length - suffix), length)
    start = int(first)
    if start >= length or (last and int(last) < start):
        raise UnsatisfiableRange
    end = min(int(last) + 1, length) if last else length
    return slice(start, end)


def ranged_response(
    body: bytes, *, media_type: str, range_header: str | None, headers: Mapping[str, str]
) -> Response:
    """200 with the whole body, 206 with the part asked for, or 416; always ``Accept-Ranges``."""
    common = {**headers, "Accept-Ranges": "bytes"}
    try:
        part = requested_slice(range_header, len(body))
    except UnsatisfiableRange:
        common["Content-Range"] = f"bytes */{len(body)}"
        return Response(status_code=416, headers=common)
    if part is None:
        return Response(body, media_type=media_type, headers=common)
    common["Content-Range"] = f"bytes {part.start}-{part.stop - 1}/{len(body)}"
    return Response(body[part], status_code=206, media_type=media_type, headers=common)
