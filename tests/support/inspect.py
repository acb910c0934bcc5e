"""Looking at what was stored, the way an attacker with a database dump would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import service.models  # noqa: F401  (registers the tables)
from service.core.db import create_engine, create_sessionmaker
from tests.support.databases import TEST_LIMITS


async def count_rows(url: str, table: str) -> int:
    engine = create_engine(url, TEST_LIMITS)
    try:
        async with engine.connect() as connection:
            model = SQLModel.metadata.tables[table]
            return int(await connection.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        await engine.dispose()


async def raw_rows_text(url: str) -> str:
    """Every value of every table, as text and as raw bytes decoded leniently."""
    engine = create_engine(url, TEST_LIMITS)
    parts: list[str] = []
    try:
        async with engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                rows = await connection.execute(text(f"SELECT * FROM {table.name}"))
                parts.extend(_render(value) for row in rows for value in row)
    finally:
        await engine.dispose()
    return "\n".join(parts)


def sqlite_file_bytes(url: str) -> bytes:
    """The SQLite file and its write-ahead log, as they sit on disk."""
    database = Path(make_url(url).database or "")
    return b"".join(
        path.read_bytes()
        for path in (database, database.with_name(database.name + "-wal"))
        if path.exists()
    )


def _render(value: object) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("latin-1")
    return str(value)


async def fetch_all(url: str, statement: Any) -> list[Any]:
    """The rows of a select, read through a short-lived engine of its own."""
    engine = create_engine(url, TEST_LIMITS)
    try:
        async with create_sessionmaker(engine)() as session:
            return list((await session.scalars(statement)).all())
    finally:
        await engine.dispose()


async def execute(url: str, statement: Any) -> None:
    """Run one statement and commit, through a short-lived engine of its own (test set-up)."""
    engine = create_engine(url, TEST_LIMITS)
    try:
        async with engine.begin() as connection:
            await connection.execute(statement)
    finally:
        await engine.dispose()
