"""Test databases: a migrated SQLite template copied per test, and one PostgreSQL database per run.

PostgreSQL comes from ``TIPLINE_TEST_DATABASE_URL``. When it is set (as ``.ci/run`` does) a server
that cannot be reached fails the tests; unset outside CI, the PostgreSQL cases are skipped.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import service.models  # noqa: F401  (registers every table)
from service.core.db import create_engine
from service.core.migrate import upgrade_to_head
from service.settings import Settings

# A new connection on a CI machine running test workers, servers and browsers can take longer
# than production's 1.5 s bound: the app under test (``make_settings``) and the tests' own
# engines, which seed and read databases beside it, wait up to this long. The tests of the
# bounds themselves set their own.
TEST_CONNECT_TIMEOUT_SECONDS = 5.0
TEST_LIMITS = Settings.model_construct(
    database_connect_timeout_seconds=TEST_CONNECT_TIMEOUT_SECONDS
)


def postgres_base_url() -> str | None:
    url = os.environ.get("TIPLINE_TEST_DATABASE_URL")
    if url is None and os.environ.get("CI"):
        pytest.fail("CI must set TIPLINE_TEST_DATABASE_URL: PostgreSQL tests may not be skipped")
    return url


def make_sqlite_template(directory: Path) -> Path:
    template = directory / "template.db"
    upgrade_to_head(f"sqlite+aiosqlite:///{template}")
    return template


def sqlite_copy(template: Path, directory: Path) -> str:
    target = directory / "tipline.db"
    shutil.copy(template, target)
    return f"sqlite+aiosqlite:///{target}"


def create_postgres_database(base_url: str) -> str:
    """A fresh, migrated database for this run; its URL."""
    url = asyncio.run(create_empty_postgres_database(base_url))
    upgrade_to_head(url)
    return url


async def create_empty_postgres_database(base_url: str) -> str:
    """A fresh database with no schema (a test migrates it to the revision it needs)."""
    name = f"tipline_test_{uuid.uuid4().hex[:10]}"
    await _admin(base_url, f'CREATE DATABASE "{name}"')
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database_async(base_url: str, url: str) -> None:
    await _admin(base_url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def drop_postgres_database(base_url: str, url: str) -> None:
    asyncio.run(drop_postgres_database_async(base_url, url))


async def empty_database(url: str) -> None:
    engine = create_engine(url, TEST_LIMITS)
    async with engine.begin() as connection:
        tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
        if url.startswith("postgresql"):
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await connection.execute(text(f"DELETE FROM {table}"))
    await engine.dispose()


async def _admin(base_url: str, statement: str) -> None:
    parsed = make_url(base_url)
    connection = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database,
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
