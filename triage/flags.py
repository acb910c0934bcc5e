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
# Ages spelt out, as a hotline operator writes them ("son fils de seize ans"); "dix-sept" is
# read as "dix" then "sept".
_NUMBERS = {
    word: number
    for number, word in enumerate(
        ("un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze "
         "seize").split(),
        start=1,
    )
}  # fmt: skip
_TENS = {"sept": 17, "huit": 18, "neuf": 19}


def minor_age(text: NormalisedText) -> tuple[int, int] | None:
    """The words giving an age under 18 ("une fille de 14 ans", "âgés de 12 ans",
    "moins de 18 ans", "a 15 year old"), if any."""
    norms = text.norms
    if _YEARS.isdisjoint(norms):
        return None  # no "ans", "years"…: no age
    for index in range(len(norms) - 1):
        if norms[index + 1] not in _YEARS:
            continue
        said = _age_at(norms, index)
        if said is not None and _is_minor(text, *said):
            return said[0], index + 1
    return None


def _age_at(norms: tuple[str, ...], index: int) -> tuple[int, int] | None:
    """The age the number ending at word ``index`` gives, with the number's first word."""
    word = norms[index]
    if word.isdigit() and len(word) <= 2:
        return index, int(word)
    if word in _TENS and index and norms[index - 1] == "dix":
        return index - 1, _TENS[word]
    number = _NUMBERS.get(word)
    return None if number is None else (index, number)


def _is_minor(text: NormalisedText, index: int, age: int) -> bool:
    """Whether the age said from word ``index`` on (its number) is a minor's."""
    first = _range_start(text, index)
    if first is not None:  # "de 12 13 ans", "de 12 à 14 ans": the range's youngest age
        return _is_minor(text, *first)
    before = words_before(text, index, 2)
    if before == ("de", "moins"):
        return age <= ADULT
    if age >= ADULT:
        return False
    end = index + 1 if text.norms[index] == "dix" and age > _NUMBERS["dix"] else index
    unit = text.norms[end + 1]
    if unit in ("year", "years"):
        return text.norms[end + 2 : end + 3] == ("old",)
    if unit == "yo":
        return True
    if before[:2] in (("environ", "d"), ("environ", "de")):
        return True  # "âgés d'environ 15 ans"
    return bool(before) and before[0] in _AGE_INTRO and not set(before[1:]) & _DURATION


def _range_start(text: NormalisedText, index: int) -> tuple[int, int] | None:
    """The first number of an age range ending at word ``index`` ("12 13 ans", "12-13 ans",
    "12 à 13 ans", "12 ou 13 ans"), if it is one, as ``_age_at`` gives it."""
    if index >= 1 and (said := _age_at(text.norms, index - 1)) is not None:
        return said
    if index >= 2 and text.norms[index - 1] in ("a", "ou"):
        return _age_at(text.norms, index - 2)
    return None
