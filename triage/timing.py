"""Imminence from days, dates and clock times, resolved against when the tip was received.

Mali is on UTC all year (no daylight saving), so the tip's reception time in UTC is local time.
Words such as "ce soir" or "sisan" are plain rules of the rules file; this module handles what
needs the calendar: "mardi" sent on a Monday evening, "le 13 janvier", "le 5", "vers 23h",
"dans 2h". A clock time counts only later the same day (triage.md): "6h du matin" sent in the
evening is not imminent.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from itertools import compress
from typing import NamedTuple

from triage.cues import clause_ids, words_before
from triage.normalise import BREAK, NormalisedText

WITHIN_DAYS = (0, 1)  # today or tomorrow: within about 24 hours

WEEKDAYS = {
    "lundi": 0,
    "mardi": 1,
    "mercredi": 2,
    "jeudi": 3,
    "vendredi": 4,
    "samedi": 5,
    "dimanche": 6,
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
    "lndi": 0,
    "mrdi": 1,
    "mercrdi": 2,
    "jedi": 3,
    "vdredi": 4,
    "vendredie": 4,
    "samdi": 5,
    "dimenche": 6,
}
# Bambara day names are also first names ("Sibiri"): only taken when not capitalised.
BAMBARA_WEEKDAYS = {
    "tenen": 0,
    "tarata": 1,
    "araba": 2,
    "alamisa": 3,
    "juma": 4,
    "sibiri": 5,
    "kari": 6,
}
MONTHS = {
    "janvier": 1,
    "janv": 1,
    "fevrier": 2,
    "fev": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}
_CLOCK = re.compile(r"^(\d{1,2})(?:h(\d{2})?|(am|pm))$")
_HOUR_WORDS = {"h", "heure", "heures", "hr", "hrs"}
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?$")
_DURATION_BEFORE = {"depuis", "pendant", "fait", "durant", "for", "since"}
_RELATIVE_UNITS = {
    "h": 60,
    "heure": 60,
    "heures": 60,
    "hr": 60,
    "hrs": 60,
    "hours": 60,
    "hour": 60,
    "minutes": 1,
    "minute": 1,
    "mn": 1,
    "min": 1,
    "mins": 1,
}
# "le 1er", "le premier mars": the first of a month.
_FIRST_DAY = frozenset({"1er", "premier"})
_WISHES = frozenset({("bon",), ("bonne",), ("joyeux",), ("happy",)})
# "ce week-end": its Saturday, or today when said on the weekend.
_WEEKEND = frozenset({"weekend", "week", "wkd", "wknd"})
_SATURDAY = 5
_TIME_WORDS = frozenset(
    {*WEEKDAYS, *BAMBARA_WEEKDAYS, *_FIRST_DAY, *_WEEKEND, "minuit", "midnight"}
)
_EVENING = {("du", "soir"), ("de", "l", "apres", "midi"), ("de", "la", "nuit")}
# After "le 5", the words that leave it a day of the month ("le 5 à Kati", "le 5, il arrive").
_AFTER_DAY_OF_MONTH = frozenset(
    {BREAK, "a", "au", "aux", "vers", "dans", "chez", "de", "du", "pour", "prochain", "ce",
     "il", "ils", "elle", "on", "et", "le", "la", "les", "un", "une", "des"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class TimeCue:
    rule: str
    first: int
    last: int


class _Reading(NamedTuple):
    text: NormalisedText
    now: datetime


def imminent_cues(
    text: NormalisedText, received_at: datetime, quiet: Collection[int], skip: Collection[int]
) -> list[TimeCue]:
    """Days, dates and times within 24 h. ``quiet`` clauses hold a habit or a past cue;
    ``skip`` words belong to place names ("Stade du 26 Mars" is no date)."""
    # One cached test per distinct word, mapped in C over the tip: most words are no time.
    candidates = [
        index
        for index in compress(range(len(text.norms)), map(_may_be_time, text.norms))
        if index not in skip
    ]
    if not candidates:
        return []
    reading = _Reading(text, received_at.astimezone(UTC))
    clause = clause_ids(text) if candidates and quiet else ()
    found: list[TimeCue] = []
    for index in candidates:
        if clause and clause[index] in quiet:
            continue
        cue = (
            _weekday(reading, index)
            or _weekend(reading, index)
            or _date(reading, index)
            or _clock(reading, index)
        )
        if cue is not None:
            found.append(cue)
    return found


@lru_cache(maxsize=65536)
def _may_be_time(word: str) -> bool:
    """A number, a date or time, a day's name, or midnight."""
    return word[0].isdigit() or word in _TIME_WORDS


def _weekday(reading: _Reading, index: int) -> TimeCue | None:
    text, word = reading.text, reading.text.norms[index]
    day = WEEKDAYS.get(word)
    if day is None and (not text.capitalised[index] or text.all_caps):
        day = BAMBARA_WEEKDAYS.get(word)
    if day is None:
        return None
    following = text.norms[index + 1 : index + 2]
    before = words_before(text, index, 1)
    if before == ("le",) and not (following and following[0].isdigit()):
        return None  # "le vendredi": on Fridays, a habit
    if before in _WISHES:
        return None  # "bon dimanche à vous": a greeting
    delta = (day - reading.now.weekday()) % 7
    if delta == 0 and following == ("prochain",):
        delta = 7
    return TimeCue("flag.imminent.weekday", index, index) if delta in WITHIN_DAYS else None


def _weekend(reading: _Reading, index: int) -> TimeCue | None:
    """ "ce week-end": imminent from the Friday before it to its Sunday."""
    text = reading.text
    if text.norms[index] not in _WEEKEND or words_before(text, index, 1) != ("ce",):
        return None
    last = index + 1 if text.norms[index + 1 : index + 2] == ("end",) else index
    if text.norms[index] == "week" and last == index:
        return None  # "ce week" is no weekend
    delta = (_SATURDAY - reading.now.weekday()) % 7
    weekend = delta in WITHIN_DAYS or reading.now.weekday() > _SATURDAY
    return TimeCue("flag.imminent.weekday", index, last) if weekend else None


def _date(reading: _Reading, index: int) -> TimeCue | None:
    norms = reading.text.norms
    numeric = _DATE.match(norms[index])
    if numeric:
        day, month, year = numeric.groups()
        found, last = _day_delta(reading.now, int(day), int(month), year), index
    elif (day_number := _day_number(norms[index])) is None:
        return None
    elif index + 1 < len(norms) and norms[index + 1] in MONTHS:
        found, last = (
            _day_delta(reading.now, day_number, MONTHS[norms[index + 1]], None),
            index + 1,
        )
    elif _day_of_month(reading.text, index, day_number):
        found, last = _days_until(reading.now, day_number), index
    else:
        return None
    return TimeCue("flag.imminent.date", index, last) if found in WITHIN_DAYS else None


def _day_number(word: str) -> int | None:
    """The day a word names in a date: "5", "1er", "premier"."""
    if word in _FIRST_DAY:
        return 1
    return int(word) if word.isdigit() else None


def _day_of_month(text: NormalisedText, index: int, day: int) -> bool:
    """ "le 5" alone: a day of this month or the next, not a quantity ("le 5 kg")."""
    following = text.norms[index + 1 : index + 2]
    return (
        1 <= day <= 31
        and words_before(text, index, 1) == ("le",)
        and (not following or following[0] in _AFTER_DAY_OF_MONTH)
    )


def _days_until(now: datetime, day: int) -> int | None:
    """Days from ``now`` to the next ``day`` of a month (this month's if not past)."""
    this_month = _day_delta(now, day, now.month, str(now.year))
    if this_month is not None and this_month >= 0:
        return this_month
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return _day_delta(now, day, month, str(year))


def _day_delta(now: datetime, day: int, month: int, year: str | None) -> int | None:
    full_year = now.year if year is None else int(year) + (2000 if len(year) == 2 else 0)
    try:
        when = date(full_year, month, day)
    except ValueError:
        return None
    delta = (when - now.date()).days
    if year is None and delta < -300:  # "le 2 janvier" written on 30 December
        return _day_delta(now, day, month, str(now.year + 1))
    return delta


def _clock(reading: _Reading, index: int) -> TimeCue | None:
    text = reading.text
    parsed = _parse_clock(text, index)
    if parsed is None:
        return None
    minutes, last = parsed
    before = words_before(text, index, 2)
    if before[:1] == ("dans",) or before[:1] == ("in",):
        return TimeCue("flag.imminent.relative", index, last) if minutes <= 24 * 60 else None
    if set(before) & _DURATION_BEFORE or before[:2] == ("a", "y"):
        return None  # "depuis 2h", "il y a 2h": a duration, not a time of day
    now = reading.now.hour * 60 + reading.now.minute
    return TimeCue("flag.imminent.clock", index, last) if minutes > now else None


def _parse_clock(text: NormalisedText, index: int) -> tuple[int, int] | None:
    """Minutes after midnight (or, after "dans", a duration in minutes) and the last word."""
    norms = text.norms
    word = norms[index]
    following = norms[index + 1] if index + 1 < len(norms) else ""
    if word in ("minuit", "midnight"):
        return 24 * 60, index
    match = _CLOCK.match(word)
    if match:
        hour, minute, meridiem = match.groups()
        if int(hour) > 24 or int(minute or 0) > 59:
            return None
        minutes = int(hour) * 60 + int(minute or 0)
        last = index
    elif word.isdigit() and len(word) <= 2 and following in _RELATIVE_UNITS:
        minutes, last, meridiem = int(word) * _RELATIVE_UNITS[following], index + 1, None
        if following not in _HOUR_WORDS and words_before(text, index, 1) != ("dans",):
            return None  # "30 minutes" is only a time after "dans"
    else:
        return None
    return _afternoon(text, minutes, last, meridiem), last


def _afternoon(text: NormalisedText, minutes: int, last: int, meridiem: str | None) -> int:
    if minutes == 0:
        return 24 * 60  # "à 0h" is tonight's midnight
    evening = meridiem == "pm" or any(
        text.norms[last + 1 : last + 1 + len(words)] == words for words in _EVENING
    )
    return minutes + 12 * 60 if evening and minutes < 12 * 60 else minutes
