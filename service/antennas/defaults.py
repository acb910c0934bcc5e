"""The default antennas, seeded from the routing reference shipped with triage."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import CursorResult, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.core.db import on_postgresql
from service.models import Antenna

ROUTING_REFERENCE = Path(__file__).parents[2] / "triage" / "data" / "jurisdictions.yaml"


def default_antennas(reference: Path = ROUTING_REFERENCE) -> list[Antenna]:
    return [
        Antenna(
            code=item["code"],
            name=item["name"],
            seat=item["seat"],
            operational=bool(item.get("operational", True)),
            fallback=item.get("fallback"),
        )
        for item in _antennas_of(reference)
    ]


@functools.cache
def _antennas_of(reference: Path) -> tuple[dict[str, Any], ...]:
    """The reference's antennas, parsed once per process (every app start seeds them)."""
    data: dict[str, Any] = yaml.safe_load(reference.read_text(encoding="utf-8"))
    return tuple(data["antennas"])


async def seed_antennas(*, session: AsyncSession) -> int:
    """Add the default antennas that are missing; never overwrite an administrator's edits.

    API processes that start together, or that finish a start the database's outage delayed at
    the same moment, all seed: a code another process has just added is skipped rather than
    failing on its key (which left that process never ready)."""
    known = set((await session.scalars(select(col(Antenna.code)))).all())
    missing = [antenna for antenna in default_antennas() if antenna.code not in known]
    if not missing:
        return 0
    dialect = postgresql if on_postgresql(session) else sqlite
    statement = (
        dialect.insert(Antenna)
        .values([antenna.model_dump() for antenna in missing])
        .on_conflict_do_nothing(index_elements=["code"])
    )
    result = await session.execute(statement)
    assert isinstance(result, CursorResult)  # an INSERT's result
    return max(result.rowcount, 0)
