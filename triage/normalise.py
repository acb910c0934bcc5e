"""Tip text normalisation: one canonical spelling per word, with a way back to the tip's words.

Reporters write French with or without accents, in capitals, in SMS shorthand, with Bambara words
written in the Bambara alphabet (ɛ, ɔ, ɲ, ŋ) or without it, and sometimes in English. Matching
works on the normalised words; every normalised word keeps the span of the original word it came
from, so a decision can quote the tip as it was written.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import accumulate, chain, compress, count
from operator import add, itemgetter, sub
from typing import NamedTuple

# Sentence breaks are kept as a token of their own so that a phrase never matches across two
# sentences and time cues ("chaque soir") only colour their own sentence.
BREAK = "|"

_TOKEN = re.compile(
    r"(?P<date>\d{1,2}/\d{1,2}(?:/\d{2,4})?)(?!\d)"
    r"|(?P<time>\d{1,2}[:hH]\d{2})(?!\d)"
    r"|(?P<word>[^\W_]+)"
    r"|(?P<stop>[.!?;:\n|]+)"
)
# Words and runs of sentence punctuation, captured so that splitting keeps them.
_PLAIN_PARTS = re.compile(r"([^\W_]+|[.!?;:\n|]+)")
_SEPARATED_DIGITS = re.compile(r"\d[:/]\d")
_WORD = re.compile(r"[^\W_]+")
# Letters written three times or more are shouting or stretching ("yaaaamba"); digits are not.
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
_UNIT = re.compile(r"^(\d+)(kg|kgs|kilo|kilos|g|gr|t|tonne|tonnes|l|litres?|ans?)$")

# The letters of the Bambara alphabet that French does not write: a word holding one is Bambara.
BAMBARA_LETTERS = frozenset("ɛɔɲŋ")
# Letters NFKD leaves whole: French ligatures and the Bambara alphabet.
_LETTERS = str.maketrans(
    {
        "œ": "oe",
        "æ": "ae",
        "ɛ": "e",
        "ɔ": "o",
        "ɲ": "ny",
        "ŋ": "ng",
        "ø": "o",
        "đ": "d",
        "ł": "l",
        "\u0131": "i",  # dotless i
        "ʃ": "sh",
        "ɓ": "b",
        "ɗ": "d",
        "ƴ": "y",
    }
)

# SMS shorthand, read as the full word before any matching.
_SHORTHAND: dict[str, tuple[str, ...]] = {
    "slt": ("salut",),
    "bjr": ("bonjour",),
    "bnjr": ("bonjour",),
    "bsr": ("bonsoir",),
    "pr": ("pour",),
    "pk": ("pourquoi",),
    "pq": ("pourquoi",),
    "prq": ("pourquoi",),
    "qlq": ("quelque",),
    "qlqs": ("quelques",),
    "qq": ("quelque",),
    "qqs": ("quelques",),
    "qqn": ("quelqu", "un"),
    "qlqn": ("quelqu", "un"),
    "auj": ("aujourd", "hui"),
    "ajd": ("aujourd", "hui"),
    "ajrd": ("aujourd", "hui"),
    "aujrd": ("aujourd", "hui"),
    "aujourdhui": ("aujourd", "hui"),
    "ojd": ("aujourd", "hui"),
    "auj8": ("aujourd", "hui"),
    "ojourdhui": ("aujourd", "hui"),
    "dm": ("demain",),
    "dmn": ("demain",),
    "dmain": ("demain",),
    "2m1": ("demain",),
    "2main": ("demain",),
    "dem1": ("demain",),
    "dm1": ("demain",),
    "demin": ("demain",),
    "ya": ("il", "y", "a"),
    "tt": ("tout",),
    "tjr": ("toujours",),
    "tjrs": ("toujours",),
    "bcp": ("beaucoup",),
    "ds": ("dans",),
    "ki": ("qui",),
    "koi": ("quoi",),
    "kwa": ("quoi",),
    "ke": ("que",),
    "kil": ("qu", "il"),
    "kel": ("quel",),
    "qd": ("quand",),
    "qnd": ("quand",),
    "mnt": ("maintenant",),
    "mtn": ("maintenant",),
    "mntn": ("maintenant",),
    "maintenan": ("maintenant",),
    "vs": ("vous",),
    "ns": ("nous",),
    "jms": ("jamais",),
    "swar": ("soir",),
    "swa": ("soir",),
    "nui": ("nuit",),
    "avc": ("avec",),
    "ac": ("avec",),
    "gd": ("grand",),
    "grd": ("grand",),
    "cmt": ("comment",),
    "cmnt": ("comment",),
    "keske": ("est", "ce", "que"),
    "kesk": ("est", "ce", "que"),
    "chui": ("je", "suis"),
    "jsuis": ("je", "suis"),
    "svp": ("s", "il", "vous", "plait"),
    "pa": ("pas",),
    "aprem": ("apres", "midi"),
}
# Shorthand that depends on the next word: "c soir" is "ce soir", "sa fait" is "ça fait".
_BEFORE: dict[tuple[str, str], str] = {
    ("c", "soir"): "ce",
    ("se", "soir"): "ce",
    ("c", "matin"): "ce",
    ("se", "matin"): "ce",
    ("set", "nuit"): "cette",
    ("cet", "nuit"): "cette",
    ("ste", "nuit"): "cette",
    ("sa", "fait"): "ca",
}


_CONTEXT_FIRST = frozenset(first for first, _ in _BEFORE)
_FIRST = itemgetter(0)
# A named tuple's own constructor is a Python function around tuple.__new__: called directly,
# the tuple costs a third as much, and every tip makes one (more with a place field).
_new = tuple.__new__


class NormalisedText(NamedTuple):
    """The words of a tip, normalised, each with the span of the tip's text it came from (a
    named tuple: one per tip and per place field, built faster than a frozen dataclass)."""

    source: str
    norms: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    capitalised: tuple[bool, ...]
    all_caps: bool

    @property
    def joined(self) -> str:
        """The words separated by single spaces and framed by spaces, for whole-word search."""
        return " " + " ".join(self.norms) + " "

    def words(self, first: int, last: int) -> str:
        """The tip's own text for the words first..last, as the reporter wrote it."""
        return self.source[self.spans[first][0] : self.spans[last][1]]

    def sentence_start(self, index: int) -> bool:
        return index == 0 or self.norms[index - 1] == BREAK

    def is_break(self, index: int) -> bool:
        return not 0 <= index < len(self.norms) or self.norms[index] == BREAK

    def between(self, last: int, first: int) -> str:
        """The tip's own text between words ``last`` and ``first``: the punctuation that
        normalising dropped."""
        return self.source[self.spans[last][1] : self.spans[first][0]]

    def comma_before(self, index: int) -> bool:
        return index > 0 and "," in self.between(index - 1, index)

    def colon_after(self, index: int) -> bool:
        after = index + 1
        if after >= len(self.norms) or self.norms[after] != BREAK:
            return False
        start, end = self.spans[after]
        return ":" in self.source[start:end]


def _fold_once(text: str) -> str:
    text = text.casefold().translate(_LETTERS)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _REPEATS.sub(r"\1", text)


@lru_cache(maxsize=65536)
def fold_word(raw: str) -> tuple[str, ...]:
    """The normalised words one written word stands for (none, one, or several)."""
    text = raw
    for _ in range(4):  # casefolding and NFKD can each expose work for the other
        folded = _fold_once(text)
        if folded == text:
            break
        text = folded
    words: list[str] = []
    for piece in _WORD.findall(text):
        unit = _UNIT.match(piece)
        if unit:
            words.extend(unit.groups())
        else:
            words.extend(_SHORTHAND.get(piece, (piece,)))
    return tuple(words)


def _fold_special(kind: str, raw: str) -> tuple[str, ...]:
    folded = _fold_once(raw)
    return (folded.replace(":", "h"),) if kind == "time" else (folded,)


def tokenise(text: str) -> NormalisedText:
    """Split a tip into normalised words and sentence breaks, keeping each word's span."""
    # Dates and clock times with a separator ("10/01", "23:30") need the full pattern.
    if (":" in text or "/" in text) and _SEPARATED_DIGITS.search(text):
        matches = list(_TOKEN.finditer(text))
        raws = [match.group() for match in matches]
        written = [match.span() for match in matches]
        pieces = [_fold_match(match) for match in matches]
    else:  # plain words and breaks only: one cached look-up per written word
        raws, written = _plain_words(text)
        pieces = list(map(_fold_plain, raws))
    norms = list(chain.from_iterable(pieces))
    # The usual case: each written word is one normalised word.
    if len(norms) == len(pieces) and all(pieces):
        spans = written
        caps = list(map(str.isupper, map(_FIRST, raws)))  # whether each starts with a capital
    else:
        norms, spans, caps = _flatten(raws, written, pieces)
    if BREAK in norms:
        _drop_repeated_breaks(norms, spans, caps)
    if not _CONTEXT_FIRST.isdisjoint(norms):
        _apply_context(norms)
    all_caps = text.upper() == text and text.lower() != text
    # In NormalisedText's order: source, norms, spans, capitalised, all caps.
    return _new(NormalisedText, (text, tuple(norms), tuple(spans), tuple(caps), all_caps))


def _plain_words(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """The written words and breaks with their spans, from one split: the text alternates
    gap, word, gap, … gap, so the running lengths of the parts give every span without a match
    object per word."""
    words = text.split(" ")
    # Most tips are words between single spaces. A word is a run of characters for which
    # str.isalnum holds (as [^\W_] means), so splitting at the spaces finds the pattern's words
    # without running it (a third of a tip's tokenising).
    if "" not in words and all(map(str.isalnum, words)):
        return words, _spaced_spans(words)
    parts = _PLAIN_PARTS.split(text)
    ends = list(accumulate(map(len, parts)))
    return parts[1::2], list(zip(ends[0:-1:2], ends[1::2], strict=True))


def _spaced_spans(words: list[str]) -> list[tuple[int, int]]:
    """The spans of words written one space apart: word i ends after the letters of words
    0..i and i spaces, and starts its own length before that."""
    lengths = list(map(len, words))
    ends = list(map(add, accumulate(lengths), count()))
    return list(zip(map(sub, ends, lengths), ends, strict=True))


@lru_cache(maxsize=65536)
def _fold_plain(raw: str) -> tuple[str, ...]:
    return (BREAK,) if not raw[0].isalnum() else fold_word(raw)


def _fold_match(match: re.Match[str]) -> tuple[str, ...]:
    raw = match.group()
    if not raw[0].isalnum():
        return (BREAK,)
    kind = match.lastgroup
    return fold_word(raw) if kind in (None, "word") else _fold_special(kind, raw)


def _flatten(
    raws: list[str], written: list[tuple[int, int]], pieces: list[tuple[str, ...]]
) -> tuple[list[str], list[tuple[int, int]], list[bool]]:
    norms: list[str] = []
    spans: list[tuple[int, int]] = []
    caps: list[bool] = []
    for raw, span, words in zip(raws, written, pieces, strict=True):
        norms += words
        spans += [span] * len(words)
        caps += [raw[0].isupper()] * len(words)
    return norms, spans, caps


def _drop_repeated_breaks(norms: list[str], spans: list[tuple[int, int]], caps: list[bool]) -> None:
    """No break at the start or the end, never two in a row; breaks are not capitalised."""
    breaks = list(compress(range(len(norms)), map(BREAK.__eq__, norms)))
    for index in reversed(breaks):  # from the end: a deletion leaves the indices before it
        caps[index] = False
        if index == 0 or index == len(norms) - 1 or norms[index - 1] == BREAK:
            del norms[index], spans[index], caps[index]


def _apply_context(norms: list[str]) -> None:
    for index in range(len(norms) - 1):
        replacement = _BEFORE.get((norms[index], norms[index + 1]))
        if replacement is not None:
            norms[index] = replacement


def normalise_text(text: str) -> str:
    """The tip as one normalised string: words separated by spaces, sentences by ``|``."""
    return " ".join(tokenise(text).norms)
