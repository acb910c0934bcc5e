"""Antennas: whether each is operational and which antenna takes its cases when it is not."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from channels.errors import MalformedRequest, NotFound
from service.core.audit import record_audit
from service.models import Antenna, StaffUser


class AntennaRefused(MalformedRequest):
    message = "Modification de l'antenne refusée."


async def list_antennas(*, session: AsyncSession) -> list[Antenna]:
    return list((await session.scalars(select(Antenna).order_by(col(Antenna.code)))).all())


async def get_antenna(*, session: AsyncSession, code: str) -> Antenna:
    antenna = await session.get(Antenna, code)
    if antenna is None:
        raise NotFound("Antenne introuvable.")
    return antenna


async def update_antenna(
    *,
    session: AsyncSession,
    actor: StaffUser,
    antenna: Antenna,
    operational: bool,
    fallback: str | None,
) -> None:
    fallback = fallback or None
    if fallback == antenna.code:
        raise AntennaRefused("Une antenne ne peut pas être son propre secours.")
    if fallback is not None and await session.get(Antenna, fallback) is None:
        raise AntennaRefused("Antenne de secours inconnue.")
    before = _state(antenna.operational, antenna.fallback)
    antenna.operational, antenna.fallback = operational, fallback
    session.add(antenna)
    await record_audit(
        session=session,
        actor=actor,
        action="antenna_updated",
        target=f"antenna:{antenna.code}",
        details={"before": before, "after": _state(operational, fallback)},
    )


def _state(operational: bool, fallback: str | None) -> str:
    return f"{'operationnelle' if operational else 'hors_service'}/secours={fallback or '-'}"
