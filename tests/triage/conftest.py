"""Fixtures for the triage engine: the packaged ruleset and a one-line way to decide a text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import pytest

from triage import AntennaStatus, Decision, Ruleset, TipText, decide, load_ruleset

# The worked examples' reception time: a Friday evening, Bamako time (UTC).
FRIDAY_EVENING = datetime(2026, 1, 9, 20, 15, tzinfo=UTC)

Triage = Callable[..., Decision]


@pytest.fixture(scope="session")
def ruleset() -> Ruleset:
    return load_ruleset()


@pytest.fixture
def triage(ruleset: Ruleset) -> Triage:
    def run(
        text: str,
        *,
        at: datetime = FRIDAY_EVENING,
        place: str | None = None,
        status: Mapping[str, AntennaStatus] | None = None,
    ) -> Decision:
        return decide(TipText(text, at, place=place), ruleset, antenna_status=status)

    return run
