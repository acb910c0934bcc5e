"""Keyset pagination: a page starts after the last row of the one before, found through an index.

``OFFSET`` reads and throws away every row before the page, so page 1,000 costs a thousand pages;
a keyset seeks straight to the first row after the cursor. The cursor is the last row's sort key,
given to the client as an opaque token and handed back as is.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, literal, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import BigInteger

_MAX_TOKEN = 400  # a cursor of four short values is about 150 characters


class InvalidCursor(ValueError):
    """A token that this code did not hand out (or hands out no more)."""


def encode_cursor(values: Sequence[Any]) -> str:
    """The token for a row whose sort key is ``values`` (str, int, datetime or UUID)."""
    plain = [_plain(value) for value in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def decode_cursor(token: str, kinds: Sequence[type]) -> list[Any]:
    """The sort key in a token; ``kinds`` are the types the key was made of, in order.
    Anything else a client may send (any text, any length) is an ``InvalidCursor``."""
    if len(token) > _MAX_TOKEN:  # also keeps json.loads from nesting deeper than it can
        raise InvalidCursor()
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(raw, list) or len(raw) != len(kinds):
            raise InvalidCursor()
        return [_typed(value, kind) for value, kind in zip(raw, kinds, strict=True)]
    except (ValueError, TypeError) as error:  # binascii, Unicode and JSON errors among them
        raise InvalidCursor() from error


def after(
    keys: Sequence[ColumnElement[Any]], values: Sequence[Any], *, descending: bool = False
) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order ``keys`` (all ascending, or all descending).

    Written out as ``k1 > v1 OR (k1 = v1 AND k2 > v2) …`` with ``k1 >= v1`` in front, the form
    both SQLite and PostgreSQL turn into an index range on the first key."""
    bound = [literal(value, type_=key.type) for key, value in zip(keys, values, strict=True)]

    def beyond(key: ColumnElement[Any], value: ColumnElement[Any]) -> ColumnElement[bool]:
        return key < value if descending else key > value

    clauses = [
        and_(*(k == v for k, v in zip(keys[:i], bound[:i], strict=True)), beyond(keys[i], bound[i]))
        for i in range(len(keys))
    ]
    first = keys[0] <= bound[0] if descending else keys[0] >= bound[0]
    return and_(first, or_(*clauses))


class epoch_seconds(FunctionElement[int]):
    """Whole seconds since 1970 of a UTC timestamp column, on SQLite as on PostgreSQL: a number
    every dialect sorts, adds to and compares alike."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(floor(extract(epoch FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@compiles(epoch_seconds)
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return value.hex
    return value


def _typed(value: Any, kind: type) -> Any:
    try:
        if kind is datetime:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise InvalidCursor()
            return parsed
        if kind is uuid.UUID:
            return uuid.UUID(hex=value)
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind is str and isinstance(value, str):
            return value
    except (ValueError, TypeError, AttributeError) as error:
        raise InvalidCursor() from error
    raise InvalidCursor()
