"""Drugs and places of another country: bought or taken there, or coming from there."""

from __future__ import annotations

from collections.abc import Sequence

from triage.categories import ACROSS_BORDER, IMPORTED
from triage.cues import ends_before
from triage.matcher import Match
from triage.normalise import BREAK, NormalisedText
from triage.ruleset import Ruleset

# How far before a place abroad a word of buying or taking still says the drugs cross there.
_CROSSING_WINDOW = 6
# "en Guinée": the preposition of countries, no locative for a place in Mali.
_IN_A_COUNTRY: frozenset[tuple[str, ...]] = frozenset({("en",)})


def from_abroad(
    text: NormalisedText, abroad: Sequence[Match], ruleset: Ruleset
) -> tuple[Match, str] | None:
    """A place abroad named as where the drugs were bought or are taken ("il achète le yamba
    au Ghana", "ils l'emmènent en Guinée"), or else as an origin ("la drogue du Ghana",
    "venant de Lomé")."""
    if not abroad:
        return None
    cues, skip = ruleset.cues, ruleset.cues["skip_before_place"]
    origin: tuple[Match, str] | None = None
    for match in abroad:
        there = ends_before(text, match.first, cues["locative_before"], skip) or ends_before(
            text, match.first, _IN_A_COUNTRY
        )
        if there and _crossing_before(text, match.first, cues["across_border_before"]):
            return match, ACROSS_BORDER
        if origin is None and ends_before(text, match.first, cues["origin_before"], skip):
            origin = match, IMPORTED
    return origin


def _crossing_before(
    text: NormalisedText, index: int, crossing: frozenset[tuple[str, ...]]
) -> bool:
    """Whether a word of buying, fetching, taking or sending comes a few words before word
    ``index``, in its sentence ("achète le cannabis au Burkina", "va chercher le tramadol au
    Nigeria", "l'emmènent au Burkina")."""
    norms = text.norms
    for position in range(index - 1, max(index - 1 - _CROSSING_WINDOW, -1), -1):
        if norms[position] == BREAK:
            return False
        if (norms[position],) in crossing:
            return True
    return False
