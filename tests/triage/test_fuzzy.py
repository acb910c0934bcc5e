"""The typo index alone: a name found through one or two letters dropped, added or changed."""

from __future__ import annotations

import pytest

from triage.fuzzy import TypoIndex


@pytest.mark.parametrize(
    ("word", "found"),
    [
        ("sikasso", 1),  # the name itself
        ("sikaso", 1),  # a letter dropped
        ("sikso", 1),  # two dropped
        ("sikkasso", 1),  # a letter added
        ("sikkassoo", 1),  # two added
        ("sikassa", 1),  # a letter changed
        ("siaksso", 1),  # two letters swapped
        ("kalabancura", 2),
        ("kalabncura", 2),  # two dropped from a long name
        ("kalabankoura", 2),
        ("bamako", None),  # another word
        ("sik", None),  # too short to guess
    ],
)
def test_a_typo_finds_its_name(word: str, found: int | None) -> None:
    index = TypoIndex(frozenset())
    index.add("sikasso", 1)
    index.add("kalabancoura", 2)
    assert index.find(word) == found
