"""Engine and session factory. Sessions are opened and committed by one owner per unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam, event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SessionMaker = async_sessionmaker[AsyncSession]


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # Error messages must never quote bound values (ciphertexts, blind indexes) into logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        # Several requests write at once in embedded mode: wait for the lock instead of failing.
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # Enough connections for a burst of webhooks on one API process without queueing for one.
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    return create_async_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: SessionMaker) -> AsyncIterator[AsyncSession]:
    """The unit of work: commit when the block succeeds, roll back when it raises."""
    async with sessions() as session, session.begin():
        yield session


def among(session: AsyncSession, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN values``. On PostgreSQL as ``column = ANY($1)`` with one array parameter:
    ``IN`` renders a parameter per value, so each batch size is new SQL for SQLAlchemy to render
    and for asyncpg to prepare and PostgreSQL to plan again; one array keeps a single statement."""
    element: ColumnElement[Any] = column  # ``col(Model.field)`` is typed Mapped, not a column
    if on_postgresql(session):
        return element == any_(bindparam(None, list(values), type_=ARRAY(element.type)))
    return element.in_(list(values))


def on_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"
