"""Finding a place or a drug through a typo: "Sikkasso", "Bougoni", "Bancasse", "canabiss".

Candidates come from a deletion index (a string one or two deletions away from both the typo and
the name), then rapidfuzz measures the real edit distance, two letters swapped counting as one
typo ("Seguo" is Ségou). A name of five letters or more tolerates two typos (triage.md), but a
typo keeps the name's sound: both are reduced to a sound key (c/k/qu, ou/u, y/i, dj/j, h and
doubled letters, a final e) that must start alike and differ by one sound at most (two in a
long name, keeping its length). So
"Bancasse" is Bankass and "Marcalla" Markala, while "Sékoro" (a village of its own) is not
Sébékoro and "Banancoro" not Manankoro. Results are cached per word: tips repeat the same words
all day, and a word's answer never changes within one ruleset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz.distance import OSA

from triage.gazetteer import Gazetteer

MIN_LENGTH = 5  # names shorter than this are never guessed
_CACHE_LIMIT = 100_000
# A bare common noun standing for a landmark ("aérogare") tolerates one typo only: "autogare"
# is another word, not a misspelt airport.
_GENERIC_DISTANCE = 1
_LONG_NAME = 8

_SOUNDS = (
    (re.compile(r"qu|ck|c(?=[aouklmnrt]|$)"), "k"),
    (re.compile(r"c(?=[eiy])"), "s"),
    (re.compile(r"ph"), "f"),
    (re.compile(r"dj|dy"), "j"),
    (re.compile(r"[cs]h"), "x"),
    (re.compile(r"gn"), "ny"),
    (re.compile(r"ou|w"), "u"),
    (re.compile(r"y"), "i"),
    (re.compile(r"h"), ""),
    (re.compile(r"(.)\1+"), r"\1"),
    (re.compile(r"(?<=...)e$"), ""),
)


@lru_cache(maxsize=65536)
def sound_key(word: str) -> str:
    """How a normalised word sounds, roughly, in the spellings of Malian French."""
    for pattern, replacement in _SOUNDS:
        word = pattern.sub(replacement, word)
    return word


def max_distance(length: int) -> int:
    """Typos tolerated in a name: one or two letters from five letters on (triage.md)."""
    return 2 if length >= MIN_LENGTH else 1


def sounds_alike(word: str, name: str, *, long_names: bool = True) -> bool:
    """A typo keeps the name's first sound and all but one of its sounds; in a long name it
    may change two ("Kalaban Koira") but not drop two ("Sékoro" is not Sébékoro)."""
    typo, real = sound_key(word), sound_key(name)
    if not typo or typo[0] != real[0]:
        return False
    if OSA.distance(typo, real, score_cutoff=1) <= 1:
        return True
    return long_names and len(name) >= _LONG_NAME and abs(len(word) - len(name)) <= 1


def _deletions(word: str, depth: int) -> set[str]:
    """The word and what one letter, or two when ``depth`` is 2, fewer leaves of it (never
    down to nothing). Sliced, not rebuilt letter by letter: every unknown word of a tip comes
    here, and a long one has a hundred variants."""
    found = {word}
    if depth < 1 or len(word) < 2:
        return found
    ones = {word[:i] + word[i + 1 :] for i in range(len(word))}
    found |= ones
    if depth >= 2 and len(word) > 2:
        found.update(one[:j] + one[j + 1 :] for one in ones for j in range(len(one)))
    return found


class TypoIndex:
    """Names (each standing for a target number) and the typos that still name them."""

    # A long place name may change two sounds ("Kalaban Koira"); a drug name only one: a verb
    # such as "gardent" is two sounds from "gardénal".
    long_names = True

    def __init__(self, known_words: frozenset[str]) -> None:
        self._names: list[tuple[str, int, int]] = []  # (spelling, target, allowed distance)
        self._index: dict[str, list[int]] = {}
        self._known = known_words
        self._cache: dict[str, int | None] = {}

    def add(self, spelling: str, target: int, *, allowed: int | None = None) -> None:
        distance = max_distance(len(spelling)) if allowed is None else allowed
        number = len(self._names)
        self._names.append((spelling, target, distance))
        for key in _deletions(spelling, distance):
            self._index.setdefault(key, []).append(number)

    def is_known(self, word: str) -> bool:
        """A word of the rules or a common word: never a misspelt name."""
        return word in self._known

    def unknown(self, words: Iterable[str]) -> set[str]:
        """The words that are neither of the rules nor common words."""
        return set(words).difference(self._known)

    def find(self, word: str) -> int | None:
        """The one target this word is a typo of, or None (unknown, a real word, or a tie)."""
        if word in self._cache:
            return self._cache[word]
        found = None if word in self._known or len(word) < MIN_LENGTH - 1 else self._search(word)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[word] = found
        return found

    def _search(self, word: str) -> int | None:
        best: dict[int, int] = {}  # target -> smallest distance
        # A four-letter word is one typo from a name at most ("crak" for crack).
        ceiling = 1 if len(word) < MIN_LENGTH else 2
        for key in _deletions(word, 2):
            for number in self._index.get(key, ()):
                spelling, target, allowed = self._names[number]
                allowed = min(allowed, ceiling)
                distance = OSA.distance(word, spelling, score_cutoff=allowed)
                if (
                    distance <= allowed
                    and distance < best.get(target, allowed + 1)
                    and (distance == 0 or sounds_alike(word, spelling, long_names=self.long_names))
                ):
                    best[target] = distance
        if not best:
            return None
        closest = min(best.values())
        targets = [target for target, distance in best.items() if distance == closest]
        return targets[0] if len(targets) == 1 else None


class FuzzyIndex(TypoIndex):
    """The gazetteer's names a typo may stand for (``find`` gives a place number)."""

    def __init__(self, gazetteer: Gazetteer, known_words: frozenset[str]) -> None:
        super().__init__(known_words | gazetteer.common_words | gazetteer.abroad_words)
        for variant in gazetteer.variants:
            place = gazetteer.places[variant.place]
            spelling = variant.phrase.replace(" ", "")
            if place.fuzzy and not place.ambiguous and len(spelling) >= MIN_LENGTH:
                self.add(
                    spelling, variant.place, allowed=_GENERIC_DISTANCE if variant.generic else None
                )


class DrugTypos(TypoIndex):
    """Single-word names of the substance rules a typo may stand for (``find`` gives a rule
    index): "canabiss", "tramadoll", "diazepan", "cocainne", "crak"."""

    long_names = False

    def __init__(self, names: Iterable[tuple[str, int]], known_words: frozenset[str]) -> None:
        super().__init__(known_words)
        for spelling, rule in names:
            if len(spelling) >= MIN_LENGTH and spelling.isalpha():
                self.add(spelling, rule)
