"""The SQL an app sends while a test drives it: to check how a page reads, not only what."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def statements_sent(app: FastAPI) -> Iterator[list[str]]:
    """Every statement the app's engine executes inside the block, lower-cased."""
    with statements_on(app.state.runtime.engine) as sent:
        yield sent


@contextmanager
def statements_on(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every statement ``engine`` executes inside the block (a process's, without an app),
    lower-cased."""
    sent: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(statement.lower())

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
