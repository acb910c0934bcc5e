"""Normalisation: one spelling per word, SMS shorthand, Bambara letters, a way back to the tip."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triage.normalise import _PLAIN_PARTS, BREAK, _plain_words, normalise_text, tokenise


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("SÉGOU Ségou segou", "segou segou segou"),
        ("yamba bɛ feere kɔnɔ ɲɔgɔn ŋ", "yamba be feere kono nyogon ng"),
        ("Œuvre cœur", "oeuvre coeur"),
        ("l\u2019aéroport d'Addis", "l aeroport d addis"),  # curly apostrophe
        ("yaaaamba!!! trop", "yamba | trop"),
        ("slt ya 1 gars", "salut il y a 1 gars"),
        ("c soir ou se soir, dm ou 2m1", "ce soir ou ce soir demain ou demain"),
        ("Sa fait 2 semaines", "ca fait 2 semaines"),
        ("auj pr qlq pk", "aujourd hui pour quelque pourquoi"),
        ("50kg et 2 tonnes", "50 kg et 2 tonnes"),
        ("à 23:30 ou 23h30, le 10/01", "a 23h30 ou 23h30 le 10/01"),
        ("ACI 2000 tramadol 225", "aci 2000 tramadol 225"),
        ("Kalaban-Coura", "kalaban coura"),
    ],
)
def test_words_get_one_spelling(written: str, normalised: str) -> None:
    assert normalise_text(written) == normalised


def test_sentences_are_kept_apart_and_punctuation_runs_collapse() -> None:
    assert tokenise("Ségou: un labo... à Pelengana?!").norms == (
        "segou", BREAK, "un", "labo", BREAK, "a", "pelengana",
    )  # fmt: skip


def test_each_word_leads_back_to_the_tip_as_written() -> None:
    text = tokenise("Un camion à KALABAN-Coura, ya 2m1")
    assert text.words(2, 2) == "à"
    assert text.words(3, 4) == "KALABAN-Coura"
    # An expanded shorthand points at the word the reporter typed.
    assert text.norms[5:8] == ("il", "y", "a")
    assert text.words(5, 7) == "ya"
    assert text.words(8, 8) == "2m1"


def test_capitals_and_headings_are_remembered() -> None:
    text = tokenise("Koro: il vend à San")
    assert text.colon_after(0)
    assert text.capitalised[5]
    assert not text.capitalised[3]
    assert not text.all_caps
    assert tokenise("VERS GAO").all_caps


@given(st.text())
def test_normalising_is_idempotent(text: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once


@given(st.text(alphabet=st.characters(codec=None)))
def test_never_raises_on_any_character_and_spans_fit(text: str) -> None:
    tokens = tokenise(text)
    assert len(tokens.norms) == len(tokens.spans) == len(tokens.capitalised)
    for start, end in tokens.spans:
        assert 0 <= start < end <= len(text)
    assert all(" " not in word and word for word in tokens.norms)


@given(st.text(alphabet="abcéèêàçôœɛɔɲŋ'\u2019- .!?:ABCÉ0123456789hH/", max_size=80))
def test_output_is_plain_lowercase_words(text: str) -> None:
    assert all(
        word == BREAK or (word.isalnum() and word == word.lower() and word.isascii()) or "/" in word
        for word in normalise_text(text).split()
    )


def _pattern_words(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """The words and spans as the tokenising pattern alone finds them."""
    matches = list(_PLAIN_PARTS.finditer(text))
    return [match.group() for match in matches], [match.span() for match in matches]


@pytest.mark.parametrize(
    "text",
    [
        "un camion de yamba va quitter Kati ce soir",
        "yamba bɛ feere Kalaban Coura bi su",
        "ACI 2000 tramadol 225 x²",
        "deux  espaces",  # a double space: the pattern's gap
        " en tête",
        "à la fin ",
        "snake_case mot",  # "_" is no word character
        "e\u0301te",  # a combining accent: not a letter of its own
        "tab\there",
        "Bonsoir. un policier",
        "",
    ],
)
def test_words_between_single_spaces_found_as_the_pattern_finds_them(text: str) -> None:
    assert _plain_words(text) == _pattern_words(text)


@given(st.text(alphabet=st.sampled_from("ab é_²\u0301.\t|'"), max_size=30))
def test_plain_words_always_agree_with_the_pattern(text: str) -> None:
    assert _plain_words(text) == _pattern_words(text)
