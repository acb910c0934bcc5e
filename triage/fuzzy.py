"""Finding a place through a typo: "Sikkasso", "Bougoni", "Tombouctu".

Candidates come from a deletion index (a string one or two deletions away from both the typo and
the name), then rapidfuzz measures the real edit distance, two letters swapped counting as one
typo ("Seguo" is Ségou). Results are cached per word: tips
repeat the same words all day, and a word's answer never changes within one ruleset.
"""

from __future__ import annotations

from itertools import combinations

from rapidfuzz.distance import OSA

from triage.gazetteer import Gazetteer

MIN_LENGTH = 5  # names shorter than this are never guessed
_CACHE_LIMIT = 100_000


def max_distance(length: int) -> int:
    """One letter for names of 5-7 letters, two letters from 8 on (triage.md)."""
    return 1 if length <= 7 else 2


def _deletions(word: str, depth: int) -> set[str]:
    found = {word}
    for count in range(1, min(depth, len(word) - 1) + 1):
        for positions in combinations(range(len(word)), count):
            found.add("".join(c for i, c in enumerate(word) if i not in positions))
    return found


class FuzzyIndex:
    def __init__(self, gazetteer: Gazetteer, known_words: frozenset[str]) -> None:
        self._names: list[tuple[str, int, int]] = []  # (spelling without spaces, place, distance)
        self._index: dict[str, list[int]] = {}
        self._known = known_words | gazetteer.common_words
        self._cache: dict[str, int | None] = {}
        for variant in gazetteer.variants:
            place = gazetteer.places[variant.place]
            spelling = variant.phrase.replace(" ", "")
            if place.fuzzy and not place.ambiguous and len(spelling) >= MIN_LENGTH:
                self._add(spelling, variant.place)

    def _add(self, spelling: str, place: int) -> None:
        distance = max_distance(len(spelling))
        number = len(self._names)
        self._names.append((spelling, place, distance))
        for key in _deletions(spelling, distance):
            self._index.setdefault(key, []).append(number)

    def is_known(self, word: str) -> bool:
        """A word of the rules or a common word: never a misspelt place."""
        return word in self._known

    def find(self, word: str) -> int | None:
        """The one place this word is a typo of, or None (unknown, a real word, or a tie)."""
        if word in self._cache:
            return self._cache[word]
        found = None if word in self._known or len(word) < MIN_LENGTH - 1 else self._search(word)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[word] = found
        return found

    def _search(self, word: str) -> int | None:
        best: dict[int, int] = {}  # place -> smallest distance
        for key in _deletions(word, 2):
            for number in self._index.get(key, ()):
                spelling, place, allowed = self._names[number]
                distance = OSA.distance(word, spelling, score_cutoff=allowed)
                if distance <= allowed and distance < best.get(place, allowed + 1):
                    best[place] = distance
        if not best:
            return None
        closest = min(best.values())
        places = [place for place, distance in best.items() if distance == closest]
        return places[0] if len(places) == 1 else None
