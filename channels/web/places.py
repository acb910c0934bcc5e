"""The form's place list: Bamako's communes and quartiers, then each region and its localities.

Read from the routing reference (``jurisdictions.yaml``), so the choices are exactly the names
triage recognises. An option's value names the locality and its region ("Kati, Koulikoro").
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class PlaceOption:
    value: str
    label: str


@dataclass(frozen=True)
class PlaceGroup:
    label: str
    options: tuple[PlaceOption, ...]


@functools.cache
def load_places(path: Path) -> tuple[PlaceGroup, ...]:
    """Read once per process: the citizen form and the operators' entry page share the list."""
    reference: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return (*_bamako_groups(reference.get("bamako", {})), *_region_groups(reference["regions"]))


def place_values(groups: tuple[PlaceGroup, ...]) -> frozenset[str]:
    return frozenset(option.value for group in groups for option in group.options)


def _bamako_groups(banks: dict[str, dict[str, list[str]]]) -> list[PlaceGroup]:
    groups = [PlaceGroup("Bamako", (PlaceOption("Bamako", "Bamako (commune inconnue)"),))]
    for communes in banks.values():
        for commune, quartiers in communes.items():
            label = f"Bamako — Commune {commune.removeprefix('commune_')}"
            options = tuple(PlaceOption(f"{name}, Bamako", name) for name in quartiers)
            groups.append(PlaceGroup(label, options))
    return groups


def _region_groups(regions: dict[str, list[str]]) -> list[PlaceGroup]:
    groups = []
    for region, localities in regions.items():
        names = [name.rstrip("*") for name in localities]
        options = [PlaceOption(region, f"{region} (région)")]
        options += [PlaceOption(f"{name}, {region}", name) for name in names if name != region]
        groups.append(PlaceGroup(region, tuple(options)))
    return groups
