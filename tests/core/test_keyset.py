"""Keyset cursors: what the server hands out comes back as it was; anything else is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from service.core.keyset import InvalidCursor, decode_cursor, encode_cursor

KINDS = (str, int, datetime, uuid.UUID)


def test_a_cursor_comes_back_as_the_key_it_was_made_from() -> None:
    key = ["P1", 1_765_000_000, datetime(2026, 12, 6, 3, 0, 1, 5, tzinfo=UTC), uuid.uuid4()]

    assert decode_cursor(encode_cursor(key), KINDS) == key


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-cursor",
        "é∂ï",  # not ASCII
        "W10",  # an empty list
        encode_cursor([1, 2, 3, 4]),  # the wrong kinds
        encode_cursor(["P1", 1, "2026-12-06T03:00:00", uuid.UUID(int=7)]),  # a naive time
        "W" * 5000,  # too long to be one of ours
    ],
)
def test_anything_else_is_an_invalid_cursor(token: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(token, KINDS)
