"""Reading the words around a phrase: what comes just before or after it in its sentence."""

from __future__ import annotations

from functools import lru_cache
from itertools import accumulate
from operator import add

from triage.normalise import BREAK, NormalisedText

Phrases = frozenset[tuple[str, ...]]


def ends_before(
    text: NormalisedText, index: int, phrases: Phrases, skip: Phrases = frozenset()
) -> bool:
    """Whether one of the phrases ends just before word ``index``, articles skipped
    ("arrive à l'aéroport": "arrive à" ends before "aéroport" once "l" is skipped)."""
    end = index - 1
    for _ in range(3):
        if _phrase_ending_at(text, end, phrases) is not None:
            return True
        skipped = _phrase_ending_at(text, end, skip)
        if skipped is None:
            return False
        end -= skipped
    return False


def _phrase_ending_at(text: NormalisedText, end: int, phrases: Phrases) -> int | None:
    """The length of a phrase of the set ending at word ``end``, if any (longest first)."""
    for length in _lengths(phrases):
        if length <= end + 1:
            words = text.norms[end - length + 1 : end + 1]
            if words in phrases and BREAK not in words:
                return length
    return None


@lru_cache(maxsize=64)
def _lengths(phrases: Phrases) -> tuple[int, ...]:
    return tuple(sorted({len(phrase) for phrase in phrases}, reverse=True))


def starts_after(text: NormalisedText, index: int, phrases: Phrases) -> bool:
    """Whether one of the phrases starts just after word ``index``."""
    for length in _lengths(phrases):
        words = text.norms[index + 1 : index + 1 + length]
        if len(words) == length and words in phrases and BREAK not in words:
            return True
    return False


def words_before(text: NormalisedText, index: int, window: int) -> tuple[str, ...]:
    """Up to ``window`` words before word ``index``, not crossing a sentence break."""
    words: list[str] = []
    for position in range(index - 1, max(index - window, 0) - 1, -1):
        if text.norms[position] == BREAK:
            break
        words.append(text.norms[position])
    return tuple(words)


def sentence_ids(text: NormalisedText) -> tuple[int, ...]:
    return _segment_ids(text, frozenset({BREAK}))


# A contrast starts a clause of its own: "il vend toujours … mais à 23h il reçoit 5 kg".
_CLAUSE_STARTS = frozenset({BREAK, "mais", "but"})


def clause_ids(text: NormalisedText) -> tuple[int, ...]:
    """Sentences, also cut at "mais": the reach of a habit or past cue."""
    return _segment_ids(text, _CLAUSE_STARTS)


def phrase_ids(text: NormalisedText) -> tuple[int, ...]:
    """Clauses, also cut at commas: the reach of an opinion ("yamba bɛ feere Banconi, Ala ka
    an dɛmɛ": the prayer is not the report)."""
    cuts = [
        word in _CLAUSE_STARTS or text.comma_before(index) for index, word in enumerate(text.norms)
    ]
    return tuple(accumulate(cuts, add))


def _segment_ids(text: NormalisedText, starts: frozenset[str]) -> tuple[int, ...]:
    """Each word's segment: how many segment starts are at or before it, counted in C."""
    counts = accumulate(map(starts.__contains__, text.norms), add, initial=0)
    return tuple(counts)[1:]


def phrase_spans(text: NormalisedText, phrases: Phrases) -> list[tuple[int, int]]:
    """Each phrase found in the text, as (its first word, the word after it): "dans le
    quartier", "pense pas que"."""
    norms = text.norms
    firsts = first_words(phrases)
    if firsts.isdisjoint(norms):
        return []
    return [
        (index, index + len(phrase))
        for index, word in enumerate(norms)
        if word in firsts
        for phrase in phrases
        if norms[index : index + len(phrase)] == phrase
    ]


@lru_cache(maxsize=256)
def first_words(phrases: Phrases | tuple[tuple[str, ...], ...]) -> frozenset[str]:
    """The words the phrases start with: one set test rules most texts out (cached: the
    phrase lists live as long as their ruleset)."""
    return frozenset(phrase[0] for phrase in phrases)
