"""The antenna: need-to-know first, then the airport, the place's antenna, hand-overs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from triage.gazetteer import Antenna, Place
from triage.vocabulary import DG

NEED_TO_KNOW = frozenset({"agent_public", "terrorisme"})
_NOT_ROUTED = ("non_exploitable", "hors_competence")


@dataclass(frozen=True)
class AntennaStatus:
    """An antenna's state as the administrators set it in the database."""

    operational: bool
    fallback: str | None


def route(
    category: str,
    flags: frozenset[str],
    place: Place | None,
    antennas: Mapping[str, Antenna],
    status: Mapping[str, AntennaStatus] | None,
) -> tuple[str, tuple[str, ...]]:
    """The antenna code and the ids of the routing rules that chose it."""
    if category in _NOT_ROUTED:
        return DG, ("route.dg.not_actionable",)
    if flags & NEED_TO_KNOW:
        # A local antenna may be the one compromised: only the DG sees these.
        return DG, ("route.dg.need_to_know",)
    if place is None:
        return DG, ("route.dg.unlocated",)
    if place.kind == "city":
        return DG, ("route.dg.bamako_city",)
    rule = "route.airport" if place.kind == "airport" else "route.place"
    antenna = _operational(place.antenna, antennas, status or {})
    return antenna, (rule,) if antenna == place.antenna else (rule, "route.fallback")


def _operational(
    code: str, antennas: Mapping[str, Antenna], status: Mapping[str, AntennaStatus]
) -> str:
    """Follow hand-overs until an operational antenna; a dead end or a loop ends at the DG."""
    seen: set[str] = set()
    while code not in seen:
        seen.add(code)
        operational, fallback = _state(code, antennas, status)
        if operational:
            return code
        if fallback is None:
            break
        code = fallback
    return DG


def _state(
    code: str, antennas: Mapping[str, Antenna], status: Mapping[str, AntennaStatus]
) -> tuple[bool, str | None]:
    if code in status:
        return status[code].operational, status[code].fallback
    if code in antennas:
        return antennas[code].operational, antennas[code].fallback
    return False, None
