"""The migrations build exactly the schema the models describe: tables, columns, indexes."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlmodel import SQLModel

import service.models  # noqa: F401  (registers the tables)
from service.core.db import create_engine
from tests.support.databases import TEST_LIMITS


async def test_a_migrated_database_has_what_the_models_declare(database_url: str) -> None:
    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    engine = create_engine(database_url, TEST_LIMITS)
    try:
        async with engine.connect() as connection:
            found = await connection.run_sync(differences)
    finally:
        await engine.dispose()

    assert found == []
