"""Servers these tests may stop and restart: a PostgreSQL cluster and Redis of their own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from service.antennas.defaults import seed_antennas
from service.core.db import create_engine, create_sessionmaker, transaction
from service.settings import Settings
from tests.reliability.harness import ServerProcess
from tests.support.databases import TEST_LIMITS
from tests.support.postgres_server import OwnPostgresServer
from tests.support.redis import OwnRedisServer
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture(scope="session")
def own_postgres() -> Iterator[OwnPostgresServer]:
    server = OwnPostgresServer()
    server.init()
    server.start()
    yield server
    server.destroy()


@pytest.fixture
def own_database(own_postgres: OwnPostgresServer) -> Iterator[str]:
    """A fresh migrated database on the cluster this test may stop; it is up again afterwards."""
    yield own_postgres.create_database(f"tipline_{uuid.uuid4().hex[:10]}")
    own_postgres.start_if_stopped()


@pytest.fixture
async def own_database_url(own_database: str) -> str:
    engine = create_engine(own_database, TEST_LIMITS)
    async with transaction(create_sessionmaker(engine)) as session:
        await seed_antennas(session=session)
    await engine.dispose()
    return own_database


@pytest.fixture
def own_redis() -> Iterator[OwnRedisServer]:
    server = OwnRedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def postgres_proxy(own_postgres: OwnPostgresServer) -> Iterator[TcpProxy]:
    """A proxy in front of the test's own PostgreSQL that cuts, refuses or black-holes it."""
    proxy = TcpProxy(own_postgres.port)
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxied_database_url(own_database_url: str, postgres_proxy: TcpProxy) -> str:
    """``own_database_url`` (migrated, antennas seeded) reached through ``postgres_proxy``."""
    return postgres_proxy.url(own_database_url.rsplit("/", 1)[1])


# Each module's own ``settings`` fixture says how the processes below are configured.
@pytest.fixture
async def server(settings: Settings, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    process = ServerProcess(settings, tmp_path)
    try:
        await process.ready()
        yield process
    finally:
        process.stop()


@pytest.fixture
async def servers(settings: Settings, tmp_path: Path) -> AsyncIterator[list[ServerProcess]]:
    processes = [ServerProcess(settings, tmp_path) for _ in range(2)]
    try:
        for process in processes:
            await process.ready()
        yield processes
    finally:
        for process in processes:
            process.stop()
