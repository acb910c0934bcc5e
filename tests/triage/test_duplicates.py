"""Duplicates: exact repeats from one source are confirmed, retold reports suggested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from triage.duplicates import DuplicateCandidate, find_duplicates

NOW = datetime(2026, 1, 9, 20, 15, tzinfo=UTC)


def _tip(
    tip_id: str,
    text: str,
    *,
    source: str | None = "SRC-1",
    substances: tuple[str, ...] = ("cannabis",),
    place: str | None = "Kati",
    days_ago: float = 1,
) -> DuplicateCandidate:
    return DuplicateCandidate(
        tip_id, text, source, substances, place, NOW - timedelta(days=days_ago)
    )


NEW = _tip("new", "Un camion de yamba va quitter Kati ce soir", days_ago=0)


def test_the_same_text_from_the_same_source_is_a_confirmed_duplicate() -> None:
    repeat = _tip("a", "un CAMION de yamba va quitter Kati ce soir!!")
    assert find_duplicates(NEW, [repeat]) == [("a", "confirmed")]


def test_a_retold_report_with_the_same_facts_is_suggested() -> None:
    other_source = _tip("b", "Un camion de yamba va quitter Kati ce soir", source="SRC-2")
    reworded = _tip("c", "Ce soir un camion de yamba va quitter Kati", source=None)
    assert find_duplicates(NEW, [other_source, reworded]) == [
        ("b", "suggested"),
        ("c", "suggested"),
    ]


def test_different_facts_or_texts_or_old_tips_are_not_duplicates() -> None:
    candidates = [
        _tip("d", "Un camion de yamba va quitter Kati ce soir", source="SRC-2", place="Kayes"),
        _tip(
            "e",
            "Un camion de yamba va quitter Kati ce soir",
            source="SRC-2",
            substances=("cocaine",),
        ),
        _tip("f", "Mon voisin fume du yamba tous les jours à la maison"),
        _tip("g", "Un camion de yamba va quitter Kati ce soir", days_ago=31),
        NEW,
    ]
    assert find_duplicates(NEW, candidates) == []
