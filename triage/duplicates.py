"""Duplicate tips: an exact repeat from the same source, or the same report retold.

Nothing is merged here: the service links the tips and a duty officer decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from triage.normalise import normalise_text

WINDOW = timedelta(days=30)
# Word-order-insensitive similarity of the normalised texts, out of 100.
SIMILAR = 85.0
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
) -> list[tuple[str, str]]:
    """(tip_id, "confirmed" | "suggested") for each open tip of the last 30 days that ``new``
    repeats, in the order given. ``normalise`` may remember texts it has normalised (a caller
    comparing many tips with the same candidates)."""
    text = normalise(new.text)
    found: list[tuple[str, str]] = []
    for other in recent_open:
        if other.tip_id == new.tip_id or abs(new.received_at - other.received_at) > WINDOW:
            continue
        kind = _kind(new, text, other, normalise(other.text))
        if kind is not None:
            found.append((other.tip_id, kind))
    return found


def _kind(
    new: DuplicateCandidate, text: str, other: DuplicateCandidate, other_text: str
) -> str | None:
    if text == other_text and new.source is not None and new.source == other.source:
        return CONFIRMED
    same_facts = sorted(new.substances) == sorted(other.substances) and new.place == other.place
    if same_facts and fuzz.token_sort_ratio(text, other_text) >= SIMILAR:
        return SUGGESTED
    return None
