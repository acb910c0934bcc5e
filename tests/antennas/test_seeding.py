"""Two processes seeding the default antennas at the same moment (two API processes finishing a
start the database's outage delayed) both succeed: the second skips what the first added."""

from __future__ import annotations

import asyncio

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.antennas.defaults import default_antennas, seed_antennas
from service.core.db import create_engine, create_sessionmaker, transaction
from service.models import Antenna
from tests.support.databases import TEST_LIMITS


async def test_two_seedings_at_once_add_each_antenna_once_and_neither_fails(
    database_url: str,
) -> None:
    engine = create_engine(database_url, TEST_LIMITS)
    sessions = create_sessionmaker(engine)
    try:
        async with transaction(sessions) as session:
            await session.execute(delete(Antenna))  # the fixture seeded them: start from none
        first, second = sessions(), sessions()
        async with first, second:
            # Both read an empty table, then both insert: the second waits on the first's keys.
            added_first = await seed_antennas(session=first)
            seeding = asyncio.create_task(_seed_and_commit(second))
            await asyncio.sleep(0.2)
            await first.commit()
            added_second = await seeding
        async with transaction(sessions) as session:
            count = await session.scalar(select(func.count()).select_from(Antenna))
    finally:
        await engine.dispose()

    assert added_first == len(default_antennas())
    assert added_second == 0
    assert count == len(default_antennas())


async def _seed_and_commit(session: AsyncSession) -> int:
    added = await seed_antennas(session=session)
    await session.commit()
    return added
