"""The database pool and waits are the operator's settings (``TIPLINE_DATABASE_*``)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from service.core import db
from service.core.db import create_engine
from service.settings import Settings
from service.startup import open_process
from tests.conftest import make_settings


async def test_the_pool_and_timeouts_from_the_environment_reach_the_process_engine(
    tmp_path: Path, postgres_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if postgres_url is None:
        pytest.skip("TIPLINE_TEST_DATABASE_URL is not set (outside CI)")
    monkeypatch.setenv("TIPLINE_DATABASE_POOL_SIZE", "3")
    monkeypatch.setenv("TIPLINE_DATABASE_MAX_OVERFLOW", "4")
    monkeypatch.setenv("TIPLINE_DATABASE_POOL_TIMEOUT_SECONDS", "1.25")
    monkeypatch.setenv("TIPLINE_DATABASE_CONNECT_TIMEOUT_SECONDS", "0.75")
    monkeypatch.setenv("TIPLINE_DATABASE_STATEMENT_TIMEOUT_SECONDS", "3.5")
    process = await open_process(make_settings(tmp_path, postgres_url))
    try:
        engine = process.runtime.engine
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        assert (pool.size(), pool._max_overflow, pool.timeout()) == (3, 4, 1.25)
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            assert driver._config.command_timeout == 3.5
    finally:
        await process.close()


def test_the_default_pools_fit_two_apis_two_workers_and_the_cli_on_a_default_server() -> None:
    defaults = Settings.model_construct()
    per_process = defaults.database_pool_size + defaults.database_max_overflow
    # PostgreSQL's default max_connections is 100, three of them kept for superusers; the CLI,
    # migrations and an operator's psql need a few of the rest.
    assert 4 * per_process <= 100 - 3 - 10


async def test_only_migrations_and_maintenance_run_statements_without_a_bound(
    postgres_url: str | None,
) -> None:
    if postgres_url is None:
        pytest.skip("TIPLINE_TEST_DATABASE_URL is not set (outside CI)")
    default = Settings.model_construct().database_statement_timeout_seconds
    for bounded, expected in ((True, default), (False, None)):
        engine = create_engine(postgres_url, bound_statements=bounded)
        try:
            async with engine.connect() as connection:
                driver = (await connection.get_raw_connection()).driver_connection
                assert driver is not None
                assert driver._config.command_timeout == expected
        finally:
            await engine.dispose()


async def test_a_pooled_connection_the_server_ended_is_replaced_without_an_error(
    postgres_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No pre-ping round trips at checkout: a connection the server closed (a restart, an
    operator's pg_terminate_backend) is replaced, whether it was used a moment ago or long
    enough ago to be pinged."""
    if postgres_url is None:
        pytest.skip("TIPLINE_TEST_DATABASE_URL is not set (outside CI)")
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        for trusted_seconds in (5.0, 0.0):
            monkeypatch.setattr(db, "_TRUSTED_SECONDS", trusted_seconds)
            async with engine.connect() as connection:
                ended = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            await end_backend(postgres_url, ended)
            async with engine.connect() as connection:
                now = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            assert now != ended
    finally:
        await engine.dispose()


async def end_backend(url: str, pid: int) -> None:
    """What a restart or an operator does to a connection, from outside the pool."""
    operator = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        # Returns once the backend has exited, its socket closed.
        assert await operator.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)
    finally:
        await operator.close()


async def test_postgresql_compiles_no_statement_before_running_it(
    postgres_url: str | None,
) -> None:
    """JIT compilation cost the 92-day dashboard's aggregates 60-80 ms each at 1M tips, more than
    running them: every connection of the process turns it off."""
    if postgres_url is None:
        pytest.skip("TIPLINE_TEST_DATABASE_URL is not set (outside CI)")
    engine = create_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("SHOW jit")) == "off"
    finally:
        await engine.dispose()


async def test_postgresql_plans_each_statement_for_its_own_values(
    postgres_url: str | None,
) -> None:
    """A generic plan is made once, for the table as it was then: the intake's ``= ANY`` reads,
    planned on an empty table, went on scanning it whole as it grew (10 ms a batch at 10,000
    tips; bench/README.md). Every statement is planned for its values: none runs a generic plan."""
    if postgres_url is None:
        pytest.skip("TIPLINE_TEST_DATABASE_URL is not set (outside CI)")
    engine = create_engine(postgres_url)
    statement = text("SELECT count(*) FROM probe WHERE reference = ANY(:references)")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("CREATE TEMP TABLE probe (reference text PRIMARY KEY)"))
            batch = {"references": [f"TIP-{number}" for number in range(30)]}
            for _ in range(8):  # PostgreSQL weighs a generic plan after five custom ones
                await connection.execute(statement, batch)
            generic = await connection.scalar(
                text(
                    "SELECT generic_plans FROM pg_prepared_statements"
                    " WHERE statement LIKE 'SELECT count(*) FROM probe%'"
                )
            )
    finally:
        await engine.dispose()
    assert generic == 0
