"""Flags the calendar and the gazetteer add to the flag rules: an age under 18, a border post."""

from __future__ import annotations

from triage.cues import words_before
from triage.normalise import NormalisedText

ADULT = 18
_YEARS = {"ans", "an", "years", "year", "yo"}
# "de 14 ans", "âgés de", "ils ont 14 ans", "entre 14 et 16 ans", "d'à peine 14 ans".
_AGE_INTRO = {"de", "a", "age", "agee", "ages", "agees", "aged", "ont", "et", "peine"}
# "depuis plus de 2 ans", "il y a environ 3 ans": durations, not ages.
_DURATION = {"plus", "moins", "pres", "environ", "depuis", "pendant", "fait", "y"}


def minor_age(text: NormalisedText) -> tuple[int, int] | None:
    """The words giving an age under 18 ("une fille de 14 ans", "âgés de 12 ans",
    "moins de 18 ans", "a 15 year old"), if any."""
    norms = text.norms
    if _YEARS.isdisjoint(norms):
        return None  # no "ans", "years"…: no age
    for index, word in enumerate(norms[:-1]):
        if not (word.isdigit() and len(word) <= 2 and norms[index + 1] in _YEARS):
            continue
        if _is_minor(text, index, int(word)):
            return index, index + 1
    return None


def _is_minor(text: NormalisedText, index: int, age: int) -> bool:
    first = _range_start(text, index)
    if first is not None:  # "de 12 13 ans", "de 12 à 14 ans": the range's youngest age
        return _is_minor(text, first, int(text.norms[first]))
    before = words_before(text, index, 2)
    if before == ("de", "moins"):
        return age <= ADULT
    if age >= ADULT:
        return False
    unit = text.norms[index + 1]
    if unit in ("year", "years"):
        return text.norms[index + 2 : index + 3] == ("old",)
    if unit == "yo":
        return True
    if before[:2] in (("environ", "d"), ("environ", "de")):
        return True  # "âgés d'environ 15 ans"
    return bool(before) and before[0] in _AGE_INTRO and not set(before[1:]) & _DURATION


def _range_start(text: NormalisedText, index: int) -> int | None:
    """The first number of an age range ending at word ``index`` ("12 13 ans", "12-13 ans",
    "12 à 13 ans", "12 ou 13 ans"), if it is one."""
    before = words_before(text, index, 2)
    if before and _is_age_number(before[0]):
        return index - 1
    if len(before) == 2 and before[0] in ("a", "ou") and _is_age_number(before[1]):
        return index - 2
    return None


def _is_age_number(word: str) -> bool:
    return word.isdigit() and len(word) <= 2
