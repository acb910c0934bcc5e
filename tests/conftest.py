"""Shared fixtures: settings on SQLite and on the real PostgreSQL, the app, signed webhooks."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from crypto import configure_for_tests, load_or_create_keyring
from service.antennas.defaults import seed_antennas
from service.core.db import create_engine, create_sessionmaker, transaction
from service.core.logging import configure_logging
from service.settings import Settings
from tests.support import databases
from tests.support.app import http_client, running_app
from tests.support.redis import redis_test_url
from tests.support.twilio import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL

configure_for_tests()

# Fake Twilio, the app wired to it, signed webhooks: for the channel tests.
pytest_plugins = ["tests.support.channel_fixtures"]


@pytest.fixture(scope="session")
def captured_logs() -> Iterator[io.StringIO]:
    """Every log line of the run, kept so tests can search it for personal data."""
    stream = io.StringIO()
    configure_logging(level="DEBUG", json=True, stream=stream)
    yield stream
    logging.getLogger().handlers.clear()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases.make_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    base = databases.postgres_base_url()
    if base is None:
        yield None
        return
    url = databases.create_postgres_database(base)
    yield url
    databases.drop_postgres_database(base, url)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_url: str | None,
) -> str:
    """Each storage test runs twice: on embedded SQLite and on the real PostgreSQL."""
    if request.param == "sqlite":
        url = databases.sqlite_copy(sqlite_template, tmp_path)
    elif postgres_url is None:
        pytest.skip("TIPLINE_TEST_DATABASE_URL is not set (outside CI)")
    else:
        url = postgres_url
        await databases.empty_database(url)
    engine = create_engine(url, databases.TEST_LIMITS)
    async with transaction(create_sessionmaker(engine)) as session:
        await seed_antennas(session=session)
    await engine.dispose()
    return url


def make_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    load_or_create_keyring(tmp_path / "keyring.json")
    values: dict[str, object] = {
        "env": "test",
        "data_dir": tmp_path,
        "database_url": database_url,
        "keyring": tmp_path / "keyring.json",
        "public_base_url": PUBLIC_BASE_URL,
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_from": "+22380000000",
        # Nothing leaves the machine: tests that talk to Twilio start the fake and say where.
        "twilio_api_base_url": "http://127.0.0.1:9",
        # ...and a Twilio job that cannot reach it gives up in a blink, not after an hour.
        "twilio_retry_seconds": 0.01,
        # Triage at once; the bundling tests set their own window.
        "sms_bundle_seconds": 0,
        # The tests' connect bound (tests/support/databases.py); the partition tests set theirs.
        "database_connect_timeout_seconds": databases.TEST_CONNECT_TIMEOUT_SECONDS,
        # Tests send the same tip again and again: each opens its case (the tests of a report
        # sent twice, tests/decisions, set their own window).
        "duplicate_join_minutes": 0,
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """The machine's Redis (its database of this test process), empty before and after."""
    url = redis_test_url()
    if url is None:
        pytest.skip("TIPLINE_TEST_REDIS_URL is not set (outside CI)")
    redis = Redis.from_url(url)
    await redis.flushdb()
    yield url
    await redis.flushdb()
    await redis.aclose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, captured_logs: io.StringIO) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    async with running_app(settings) as application:
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as http:
        yield http
