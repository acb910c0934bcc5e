"""Phrase matching: whole words only, every phrase found in one pass, with its word span."""

from __future__ import annotations

from triage.matcher import RULE, Entry, PhraseMatcher
from triage.normalise import tokenise


def test_a_phrase_matches_whole_words_only() -> None:
    matcher = PhraseMatcher({"tama": [Entry(RULE, 0, 1)], "ce soir": [Entry(RULE, 1, 2)]})
    assert matcher.scan(tokenise("les Tamashek et les tamasheq")) == []
    found = matcher.scan(tokenise("Tama: ce soir, TAMA"))
    assert [(m.first, m.last, m.entry.ref) for m in found] == [(0, 0, 0), (2, 3, 1), (4, 4, 0)]


def test_overlapping_phrases_are_all_found() -> None:
    matcher = PhraseMatcher({"chaque soir": [Entry(RULE, 0, 2)], "soir": [Entry(RULE, 1, 1)]})
    found = matcher.scan(tokenise("chaque soir"))
    assert sorted((m.first, m.last) for m in found) == [(0, 1), (1, 1)]
    assert matcher.count(tokenise("chaque soir").joined) == 2


def test_an_empty_matcher_finds_nothing() -> None:
    assert PhraseMatcher({}).scan(tokenise("yamba")) == []
