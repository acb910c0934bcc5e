"""Duplicate tips: an exact repeat from the same source, or the same report retold.

Nothing is merged here: the service links the tips and a duty officer decides, except for the
same report sent twice within minutes (``sent_twice``), which the service joins to the case the
first one opened.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from triage.normalise import normalise_text

WINDOW = timedelta(days=30)
# Word-order-insensitive similarity of the normalised texts, out of 100.
SIMILAR = 85.0
# Within minutes of each other, two texts about the same place and substances are one report
# sent twice even when worded a little differently ("yamba a Banconi" and "il y a du yamba a
# Banconi" score 75 on the whole texts): they are compared on their words of three letters or
# more, which drops the little words a retelling adds, at a lower bar.
MOMENT = timedelta(minutes=30)
NEAR_IDENTICAL = 75.0
_SHORT_WORD = 2
CONFIRMED = "confirmed"
SUGGESTED = "suggested"


@dataclass(frozen=True)
class DuplicateCandidate:
    """A tip as duplicate detection sees it. ``source`` is the reporter's pseudonym, or None
    when the channel gives no stable source (the web form)."""

    tip_id: str
    text: str
    source: str | None
    substances: tuple[str, ...]
    place: str | None
    received_at: datetime


def find_duplicates(
    new: DuplicateCandidate,
    recent_open: Sequence[DuplicateCandidate],
    *,
    normalise: Callable[[str], str] = normalise_text,
    moment: timedelta = MOMENT,
) -> list[tuple[str, str]]:
    """(tip_id, "confirmed" | "suggested") for each open tip of the last 30 days that ``new``
    repeats, in the order given. ``normalise`` may remember texts it has normalised (a caller
    comparing many tips with the same candidates); ``moment`` is how close in time a retelling
    is compared at the lower bar (``sent_twice``)."""
    text = normalise(new.text)
    found: list[tuple[str, str]] = []
    for other in recent_open:
        if other.tip_id == new.tip_id or abs(new.received_at - other.received_at) > WINDOW:
            continue
        kind = _kind(new, text, other, normalise(other.text), moment)
        if kind is not None:
            found.append((other.tip_id, kind))
    return found


def sent_twice(
    new: DuplicateCandidate,
    other: DuplicateCandidate,
    *,
    normalise: Callable[[str], str] = normalise_text,
    moment: timedelta = MOMENT,
) -> bool:
    """The same report sent twice, as a person would say: within ``moment``, about the same
    named place and the same substances, in nearly the same words."""
    return (
        new.place is not None
        and _same_facts(new, other)
        and abs(new.received_at - other.received_at) <= moment
        and _retold(normalise(new.text), normalise(other.text), close_in_time=True)
    )


def _kind(
    new: DuplicateCandidate,
    text: str,
    other: DuplicateCandidate,
    other_text: str,
    moment: timedelta,
) -> str | None:
    if text == other_text and new.source is not None and new.source == other.source:
        return CONFIRMED
    close_in_time = abs(new.received_at - other.received_at) <= moment
    if _same_facts(new, other) and _retold(text, other_text, close_in_time=close_in_time):
        return SUGGESTED
    return None


def _same_facts(new: DuplicateCandidate, other: DuplicateCandidate) -> bool:
    return sorted(new.substances) == sorted(other.substances) and new.place == other.place


def _retold(text: str, other_text: str, *, close_in_time: bool) -> bool:
    if fuzz.token_sort_ratio(text, other_text) >= SIMILAR:
        return True
    return (
        close_in_time
        and fuzz.token_sort_ratio(_long_words(text), _long_words(other_text)) >= NEAR_IDENTICAL
    )


@functools.lru_cache(maxsize=4096)
def _long_words(text: str) -> str:
    # Cached: a batch compares each candidate's text with many tips (normalised texts repeat).
    return " ".join(word for word in text.split() if len(word) > _SHORT_WORD)
