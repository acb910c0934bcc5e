"""One pass of multi-phrase matching over a normalised tip, whole words only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import ahocorasick

from triage.normalise import NormalisedText

RULE = "rule"
PLACE = "place"
ABROAD = "abroad"  # a place of another country: it claims its words, it names nothing in Mali


@dataclass(frozen=True, slots=True)
class Entry:
    """What a phrase stands for: a rule (by index) or a gazetteer variant (by index)."""

    kind: str
    ref: int
    length: int  # in words


class Match(NamedTuple):
    """A phrase found at the words first..last (a named tuple: tips create many)."""

    first: int  # index of the first word
    last: int  # index of the last word
    entry: Entry


class Found(NamedTuple):
    """A tip's matches by what they stand for, each list in the order of the text: sorted while
    scanning, so that places, rules and places abroad are each read without a pass over all."""

    rules: list[Match]
    places: list[Match]
    abroad: list[Match]
    # Rule phrases of several words and places abroad: their words name no place in Mali.
    holding: list[Match]


# A named tuple's own constructor is a Python function around tuple.__new__: called directly,
# the tuple costs a third less, and a tip makes a match per phrase found (and a Found).
_new_match = tuple.__new__


_FOUND_LIST = {RULE: 0, PLACE: 1, ABROAD: 2}  # the fields of Found


def _sorting(entry: Entry) -> tuple[int, Entry, int, bool]:
    """How ``find`` files a match of this entry, worked out once when the automaton is built:
    the offset of its last word from its first, the entry, its list in Found, and whether its
    words are held from places (a rule phrase of several words, a place abroad)."""
    span = entry.length - 1
    holds = entry.kind == ABROAD or (entry.kind == RULE and span > 0)
    return span, entry, _FOUND_LIST[entry.kind], holds


class PhraseMatcher:
    """An Aho-Corasick automaton over " phrase " keys: the framing spaces make every match a
    whole-word match, so "tama" never fires inside "tamashek"."""

    def __init__(self, phrases: Mapping[str, Sequence[Entry]]) -> None:
        automaton: Any = ahocorasick.Automaton()
        for phrase, entries in phrases.items():
            key = f" {phrase} "
            automaton.add_word(key, (len(key), tuple(map(_sorting, entries))))
        automaton.make_automaton()
        self._automaton = automaton
        self._empty = not phrases

    def scan(self, text: NormalisedText) -> list[Match]:
        if self._empty:
            return []
        joined = text.joined
        matches: list[Match] = []
        for end, (length, entries) in self._automaton.iter(joined):
            # The key " phrase " starts with the space before its first word, and words hold
            # no spaces: the spaces before it count the words before it.
            first = joined.count(" ", 0, end - length + 1)
            for span, entry, _kind, _holds in entries:
                matches.append(Match(first, first + span, entry))
        return matches

    def find(self, text: NormalisedText) -> Found:
        """The matches of ``scan``, sorted by kind in the same pass."""
        found = _new_match(Found, ([], [], [], []))
        if self._empty:
            return found
        joined = text.joined
        holding = found.holding
        for end, (length, entries) in self._automaton.iter(joined):
            first = joined.count(" ", 0, end - length + 1)  # as in scan
            for span, entry, kind, holds in entries:
                match = _new_match(Match, (first, first + span, entry))
                found[kind].append(match)
                if holds:
                    holding.append(match)
        return found

    def count(self, joined: str) -> int:
        """Bare keyword scanning, without any interpretation (the benchmark's baseline)."""
        if self._empty:
            return 0
        return sum(1 for _ in self._automaton.iter(joined))
