"""Engine and session factory. Sessions are opened and committed by one owner per unit of work."""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import (
    JSON,
    BindParameter,
    ColumnElement,
    CursorResult,
    Executable,
    Insert,
    Row,
    Select,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    event,
    exc,
    func,
    insert,
    text,
)
from sqlalchemy import select as select_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeEngine

from service.core.outage import timed_out
from service.settings import Settings

SessionMaker = async_sessionmaker[AsyncSession]


def create_engine(
    url: str, settings: Settings | None = None, *, bound_statements: bool = True, **kwargs: Any
) -> AsyncEngine:
    """The process's engine. On PostgreSQL its pool and every wait are bounded by ``settings``
    (their defaults without): connecting, each statement (unless ``bound_statements`` is False,
    for migrations) and waiting for a free connection, so an unanswering server is an outage
    within seconds (``service.core.outage``) instead of a hang."""
    # Error messages must never quote bound values (ciphertexts, blind indexes) into logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        # Several requests write at once in embedded mode: wait for the lock instead of failing.
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    limits = settings if settings is not None else Settings.model_construct()
    kwargs.setdefault("pool_size", limits.database_pool_size)
    kwargs.setdefault("max_overflow", limits.database_max_overflow)
    kwargs.setdefault("pool_timeout", limits.database_pool_timeout_seconds)
    connect_args: dict[str, Any] = {
        "timeout": limits.database_connect_timeout_seconds,
        # PostgreSQL compiles a statement it estimates as costly (the dashboard's aggregates over
        # a period, at a million tips) with LLVM first: 60-80 ms of compiling for queries that
        # then run in 50. Every statement here is meant to be short; none gains from it.
        # Each statement is planned for its own values, never with a generic plan: a batch's
        # ``= ANY`` reads, planned generically while a table was small, went on scanning it whole
        # as it grew (10 ms a batch at 10,000 tips, a third of intake's rate; bench/README.md),
        # and a plan made for a batch of 2 fits badly one of 200. Planning costs ~0.1 ms.
        "server_settings": {"jit": "off", "plan_cache_mode": "force_custom_plan"},
    }
    if bound_statements:
        connect_args["command_timeout"] = limits.database_statement_timeout_seconds
    kwargs["connect_args"] = connect_args | kwargs.get("connect_args", {})
    engine = create_async_engine(url, **kwargs)
    pool = engine.sync_engine.pool
    event.listen(pool, "invalidate", _drop_if_silent)
    event.listen(pool, "connect", _note_returned)
    event.listen(pool, "checkin", _note_returned)
    event.listen(pool, "checkout", functools.partial(_check_alive, engine.dialect))
    return engine


# A connection back in the pool less than this long ago is handed out without a ping.
_TRUSTED_SECONDS = 5.0
_RETURNED_AT = "tipline_returned_at"


def _note_returned(_dbapi_connection: Any, record: Any) -> None:
    record.info[_RETURNED_AT] = time.monotonic()


def _check_alive(dialect: Any, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """SQLAlchemy's pre-ping costs three round trips on asyncpg (BEGIN, the ping, ROLLBACK) at
    every checkout (about a tenth of the worker's time under a steady load of webhooks). A
    connection the server closed (a restart) is known to the driver for free; one that worked a
    moment ago is used as is (failing, it is an outage like any other: the webhook spools, the
    job runs again); only one that sat in the pool for a while is pinged, and a dead one makes
    the pool replace every connection it holds, as the pre-ping did."""
    # One turn of the event loop first, so that a close the server already sent is read.
    dbapi_connection.run_async(lambda _driver: asyncio.sleep(0))
    if dbapi_connection.driver_connection.is_closed():
        raise exc.InvalidatePoolError("connection closed while in the pool")
    if time.monotonic() - record.info.get(_RETURNED_AT, 0.0) < _TRUSTED_SECONDS:
        return
    try:
        dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as error:
        if dialect.is_disconnect(error, dbapi_connection, None):
            raise exc.InvalidatePoolError("connection lost while in the pool") from error
        raise


def _drop_if_silent(dbapi_connection: Any, _record: Any, error: BaseException | None) -> None:
    """A connection that timed out is dropped at once: closing it politely would wait up to two
    seconds more (SQLAlchemy's graceful close) for a server that is not answering."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and error is not None and timed_out(error):
        driver.terminate()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # What is destroyed (a number's ciphertext and blind index, a tip's text) is overwritten in
    # the file, not left in a free page for someone who copies the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine, *, info: dict[str, Any] | None = None) -> SessionMaker:
    """``info`` is handed to every session (e.g. how the audit trail is keyed and anchored)."""
    return async_sessionmaker(engine, expire_on_commit=False, info=info)


async def forget_on_disk(sessions: SessionMaker) -> None:
    """After a commit that destroyed something, on SQLite: the write-ahead log still holds the
    pages as they were before, until it is checkpointed and truncated. PostgreSQL keeps dead
    rows until VACUUM, which a dump never reads; its files are the operator's (README)."""
    async with sessions() as session:
        if not on_postgresql(session):
            await session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


@asynccontextmanager
async def transaction(sessions: SessionMaker) -> AsyncIterator[AsyncSession]:
    """The unit of work: commit when the block succeeds, roll back when it raises."""
    async with sessions() as session, session.begin():
        yield session


def among(session: AsyncSession, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN values``. On PostgreSQL as ``column = ANY($1)`` with one array parameter:
    ``IN`` renders a parameter per value, so each batch size is new SQL for SQLAlchemy to render
    and for asyncpg to prepare and PostgreSQL to plan again; one array keeps a single statement."""
    postgresql = on_postgresql(session)
    return is_in(column, list_param(None, column, postgresql, list(values)), postgresql)


def list_param(
    name: str | None, column: Any, postgresql: bool, values: list[Any] | None = None
) -> BindParameter[Any]:
    """A list of ``column``'s values as one parameter: an array on PostgreSQL, an expanding
    ``IN`` elsewhere. Named, for a statement built once and bound at each use."""
    if postgresql:
        return bindparam(name, values, type_=ARRAY(column.type))
    return bindparam(name, values, expanding=True)


def among_named(name: str, column: Any, postgresql: bool) -> ColumnElement[bool]:
    """``column`` among the list bound as ``name`` at each run: ``among`` for a statement built
    once per dialect (``run_built``)."""
    return is_in(column, list_param(name, column, postgresql), postgresql)


def is_in(column: Any, values: BindParameter[Any], postgresql: bool) -> ColumnElement[bool]:
    """``column`` among a ``list_param``."""
    element: ColumnElement[Any] = column  # ``col(Model.field)`` is typed Mapped, not a column
    return element == any_(values) if postgresql else element.in_(values)


def on_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def run_built(
    session: AsyncSession,
    build: Callable[[bool], Executable],
    params: Mapping[str, Any] | None = None,
) -> CursorResult[*tuple[Any, ...]]:
    """Run a statement built once per dialect (``build(postgresql)``, cached) on the session's
    connection, with its values bound by name. A hot path's statement built at every call cost
    about 0.2 ms of CPU more (building it, its cache key, the ORM's layer), a few milliseconds
    for the dozen statements of a triage batch. No autoflush: for statements on tables, not on
    objects added to the session."""
    connection = await session.connection()
    return await connection.execute(build(on_postgresql(session)), dict(params or {}))


async def read_alone(
    engine: AsyncEngine,
    build: Callable[[bool], Executable],
    params: Mapping[str, Any] | None = None,
) -> list[Row[*tuple[Any, ...]]]:
    """The rows of a statement built once per dialect (as ``run_built``), read outside any
    transaction: one round trip, where a session's read costs three (BEGIN, the read,
    ROLLBACK). Only for a lone read that nothing else in a unit of work depends on."""
    async with engine.connect() as connection:
        alone = await connection.execution_options(isolation_level="AUTOCOMMIT")
        postgresql = engine.dialect.name == "postgresql"
        return list((await alone.execute(build(postgresql), dict(params or {}))).all())


async def insert_rows(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """INSERT ``rows`` (all with the same keys). On PostgreSQL as one statement over one array
    per column: an executemany binds and executes the statement once per row, on both ends of
    the connection. SQLite, in-process, takes the executemany."""
    if not rows:
        return
    if not on_postgresql(session):
        await session.execute(insert(table), list(rows))
        return
    names = tuple(rows[0])
    connection = await session.connection()  # a Core statement on a table: no ORM layer
    await connection.execute(_insert_unnested(table, names), arrays_of(table, rows, names))


def unnested(table: Table, names: Sequence[str]) -> Select[Any]:
    """PostgreSQL: ``SELECT … FROM unnest($1::t1[], $2::t2[], …)``, rows given as one array per
    column of ``table`` (see ``arrays_of``); the same SQL whatever the number of rows."""
    arrays = [
        bindparam(_array_name(name), type_=ARRAY(_element_type(table, name))) for name in names
    ]
    source = func.unnest(*arrays).table_valued(*names).render_derived()
    return select_(*(_as_column_type(table, name, source.c[name]) for name in names))


def arrays_of(
    table: Table, rows: Sequence[Mapping[str, Any]], names: Sequence[str]
) -> dict[str, list[Any]]:
    """The parameters of ``unnested``: each column's values, in row order."""
    arrays = {name: [row[name] for row in rows] for name in names}
    for name in names:
        if _is_json(table, name):
            arrays[name] = [json.dumps(value) for value in arrays[name]]
    return {_array_name(name): values for name, values in arrays.items()}


def _element_type(table: Table, name: str) -> TypeEngine[Any]:
    # A JSON list inside an array would read as one more dimension: JSON goes as text.
    return Text() if _is_json(table, name) else table.c[name].type


def _as_column_type(table: Table, name: str, element: ColumnElement[Any]) -> ColumnElement[Any]:
    return cast(element, table.c[name].type) if _is_json(table, name) else element


def _is_json(table: Table, name: str) -> bool:
    return isinstance(table.c[name].type, JSON)


@functools.cache
def _insert_unnested(table: Table, names: tuple[str, ...]) -> Insert:
    return insert(table).from_select(names, unnested(table, names))


def _array_name(column: str) -> str:
    # Not the column's own name: an INSERT takes parameters named after columns as its values.
    return f"each_{column}"
