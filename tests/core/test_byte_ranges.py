"""Range requests over a body in memory: the slices a media player asks for, and the refusals."""

from __future__ import annotations

import pytest

from service.core.byte_ranges import UnsatisfiableRange, ranged_response, requested_slice

BODY = bytes(range(100))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-", slice(0, 100)),  # what Chromium asks for first
        ("bytes=10-19", slice(10, 20)),
        ("bytes=90-500", slice(90, 100)),  # past the end: up to the end
        ("bytes=-5", slice(95, 100)),  # the last five bytes
        ("bytes=-500", slice(0, 100)),
        ("bytes=0-1,5-9", None),  # several ranges: the whole body
        ("items=0-5", None),  # another unit: the whole body
        ("bytes=-", None),
    ],
)
def test_the_slice_asked_for(header: str | None, expected: slice | None) -> None:
    assert requested_slice(header, len(BODY)) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=20-10", "bytes=-0"])
def test_a_range_outside_the_body_is_unsatisfiable(header: str) -> None:
    with pytest.raises(UnsatisfiableRange):
        requested_slice(header, len(BODY))


def test_the_answers_carry_their_range_and_the_headers_given() -> None:
    kept = {"Cache-Control": "no-store"}
    whole, part, refused = (
        ranged_response(BODY, media_type="audio/mpeg", range_header=asked, headers=kept)
        for asked in (None, "bytes=10-19", "bytes=200-")
    )

    assert (whole.status_code, whole.body) == (200, BODY)
    assert (part.status_code, part.body) == (206, BODY[10:20])
    assert part.headers["content-range"] == "bytes 10-19/100"
    assert (refused.status_code, refused.body) == (416, b"")
    assert refused.headers["content-range"] == "bytes */100"
    for response in (whole, part, refused):
        assert response.headers["accept-ranges"] == "bytes"
        assert response.headers["cache-control"] == "no-store"
