"""Duplicates: exact repeats from one source are confirmed, retold reports suggested."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from triage.duplicates import DuplicateCandidate, find_duplicates, sent_twice

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


def _minutes_ago(tip_id: str, text: str, minutes: float, **facts: object) -> DuplicateCandidate:
    return _tip(tip_id, text, days_ago=minutes / (24 * 60), **facts)  # type: ignore[arg-type]


def test_a_short_report_retold_within_minutes_is_sent_twice() -> None:
    new = _tip("new", "yamba a Kati", days_ago=0)
    retold = _minutes_ago("a", "il y a du yamba a Kati", 2, source="SRC-2")

    assert find_duplicates(new, [retold]) == [("a", "suggested")]
    assert sent_twice(new, retold)


def test_another_hour_place_substance_or_account_is_not_sent_twice() -> None:
    new = _tip("new", "yamba a Kati", days_ago=0)
    others = [
        _minutes_ago("late", "il y a du yamba a Kati", 45),
        _minutes_ago("kayes", "il y a du yamba a Kati", 2, place="Kayes"),
        _minutes_ago("coke", "il y a du yamba a Kati", 2, substances=("cocaine",)),
        _minutes_ago("story", "mon voisin cache du yamba chez lui a Kati et le vend aux eleves", 2),
    ]

    assert [other.tip_id for other in others if sent_twice(new, other)] == []
    assert find_duplicates(new, others) == []
    unlocated = _tip("new", "yamba", place=None, days_ago=0)
    assert not sent_twice(unlocated, _minutes_ago("a", "yamba", 1, place=None))
