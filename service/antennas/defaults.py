"""The default antennas, seeded from the routing reference shipped with triage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.models import Antenna

ROUTING_REFERENCE = Path(__file__).parents[2] / "triage" / "data" / "jurisdictions.yaml"


def default_antennas(reference: Path = ROUTING_REFERENCE) -> list[Antenna]:
    data: dict[str, Any] = yaml.safe_load(reference.read_text(encoding="utf-8"))
    return [
        Antenna(
            code=item["code"],
            name=item["name"],
            seat=item["seat"],
            operational=bool(item.get("operational", True)),
            fallback=item.get("fallback"),
        )
        for item in data["antennas"]
    ]


async def seed_antennas(*, session: AsyncSession) -> int:
    """Add the default antennas that are missing; never overwrite an administrator's edits."""
    known = set((await session.scalars(select(col(Antenna.code)))).all())
    missing = [antenna for antenna in default_antennas() if antenna.code not in known]
    session.add_all(missing)
    return len(missing)
