"""Imminence: words for now and tonight, days, dates and clock times against the reception
time (Mali is UTC+0), and habits, durations, past events and negations that are not imminent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.triage.conftest import Triage

MONDAY_EVENING = datetime(2026, 1, 12, 19, 0, tzinfo=UTC)
MONDAY_MORNING = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
SCENE = "un camion de yamba à Kayes"


@pytest.mark.parametrize(
    "when",
    [
        "maintenant", "en ce moment", "actuellement", "ce soir", "cette nuit", "aujourd'hui",
        "demain", "demain matin", "tout de suite", "en route", "dans une heure", "c soir",
        "se soir", "dm", "2m1", "dm1", "auj", "mnt", "sisan", "bi", "bi su", "sini", "tonight",
        "now", "tomorrow", "CE SOIR", "Cette Nuit", "cet aprem", "tout à l'heure", "tt a l'heure",
    ],
)  # fmt: skip
def test_words_for_now_tonight_and_tomorrow_are_imminent(triage: Triage, when: str) -> None:
    decision = triage(f"{SCENE} {when}")
    assert "imminent" in decision.flags
    assert decision.priority == "P1"


@pytest.mark.parametrize(
    "when",
    [
        "chaque soir", "tous les soirs", "tt les soirs", "la nuit", "le soir", "toute la journée",
        "depuis des mois", "ça fait 2 semaines", "tous les vendredis", "le vendredi",
        "every night", "su bɛɛ", "après-demain", "hier soir", "la semaine dernière",
    ],
)  # fmt: skip
def test_habits_durations_and_past_events_are_not_imminent(triage: Triage, when: str) -> None:
    decision = triage(f"{SCENE} {when}")
    assert "imminent" not in decision.flags
    assert decision.priority == "P2"


@pytest.mark.parametrize(
    ("day", "at", "imminent"),
    [
        ("mardi", MONDAY_EVENING, True),  # tomorrow
        ("lundi", MONDAY_EVENING, True),  # today
        ("mercredi", MONDAY_EVENING, False),  # in two days
        ("mercredi", MONDAY_MORNING, False),
        ("Tuesday", MONDAY_EVENING, True),
        ("tarata", MONDAY_EVENING, True),  # Bambara Tuesday
        ("dimanche", MONDAY_EVENING, False),
        ("lundi prochain", MONDAY_EVENING, False),  # next week
        ("mardi dernier", MONDAY_EVENING, False),
        ("mardi passé", MONDAY_EVENING, False),
        ("chaque mardi", MONDAY_EVENING, False),
        ("le 13 janvier", MONDAY_EVENING, True),
        ("le 12/01", MONDAY_EVENING, True),
        ("le 20 janvier", MONDAY_EVENING, False),
        ("le 13/01/2027", MONDAY_EVENING, False),
        ("le 13,", MONDAY_EVENING, True),  # a day of this month: tomorrow
        ("le 12 à 23h", MONDAY_EVENING, True),
        ("le 20 à Kati", MONDAY_EVENING, False),
        ("le 1 à Kati", datetime(2026, 1, 31, 20, 0, tzinfo=UTC), True),  # next month
        ("le 1er à Kati", datetime(2026, 1, 31, 20, 0, tzinfo=UTC), True),
        ("le premier février", datetime(2026, 1, 31, 20, 0, tzinfo=UTC), True),
        ("le 1er à Kati", MONDAY_EVENING, False),  # three weeks away
        ("le premier camion", datetime(2026, 1, 31, 20, 0, tzinfo=UTC), False),
        ("le 13 kg", MONDAY_EVENING, False),  # a quantity
        # "ce week-end": its Saturday is tomorrow on a Friday; it is today on the weekend.
        ("ce week-end", datetime(2026, 1, 16, 21, 0, tzinfo=UTC), True),  # Friday evening
        ("ce weekend", datetime(2026, 1, 18, 10, 0, tzinfo=UTC), True),  # Sunday
        ("ce week-end", datetime(2026, 1, 15, 21, 0, tzinfo=UTC), False),  # Thursday
        ("le week-end", datetime(2026, 1, 16, 21, 0, tzinfo=UTC), False),  # a habit
        ("bon lundi à vous", MONDAY_EVENING, False),  # a greeting
        ("dans les soirées du mardi", MONDAY_EVENING, False),  # a habit
    ],
)
def test_a_day_or_date_is_imminent_when_it_is_today_or_tomorrow(
    triage: Triage, day: str, at: datetime, imminent: bool
) -> None:
    assert ("imminent" in triage(f"{day} {SCENE}", at=at).flags) is imminent


@pytest.mark.parametrize(
    ("when", "imminent"),
    [
        ("vers 23h", True),
        ("à 21h30", True),
        ("à 22:15", True),
        ("à 10 heures du soir", True),
        ("at 11pm", True),
        ("à minuit", True),
        ("à 18h", False),  # already past on this Monday evening
        ("à 6h du matin", False),
        ("dans 2h", True),
        ("dans 30 minutes", True),
        ("depuis 2h", False),
        ("tous les jours vers 23h", False),
        ("hier à 23h", False),
        ("24h/24", False),
    ],
)
def test_a_clock_time_later_the_same_day_is_imminent(
    triage: Triage, when: str, imminent: bool
) -> None:
    assert ("imminent" in triage(f"{SCENE} {when}", at=MONDAY_EVENING).flags) is imminent


def test_a_day_inside_a_place_name_is_no_date(triage: Triage) -> None:
    at = datetime(2026, 3, 26, 8, 0, tzinfo=UTC)
    decision = triage("ils fument des joints au Stade du 26 Mars", at=at)
    assert "imminent" not in decision.flags


def test_a_negated_time_is_not_imminent(triage: Triage) -> None:
    decision = triage(
        "Pas ce soir, mais samedi ils vont décharger du yamba à Kayes", at=MONDAY_EVENING
    )
    assert "imminent" not in decision.flags


def test_a_habit_does_not_reach_past_a_mais(triage: Triage) -> None:
    habit_then_once = "il vend toujours le yamba à Kayes mais à 23h il reçoit 5 kg"
    assert "imminent" in triage(habit_then_once, at=MONDAY_EVENING).flags
    assert (
        "imminent" not in triage("il reçoit 5 kg à Kayes toujours à 23h", at=MONDAY_EVENING).flags
    )


def test_a_habit_elsewhere_in_the_tip_leaves_tonight_imminent(triage: Triage) -> None:
    decision = triage(
        "Depuis des mois ils livrent du yamba à Kayes. Ce soir encore un camion arrive"
    )
    assert "imminent" in decision.flags


def test_received_time_is_read_in_mali_time(triage: Triage) -> None:
    # 23:30 in Paris (UTC+1) is 22:30 in Bamako: "vers 23h" is still to come.
    paris = datetime.fromisoformat("2026-01-12T23:30:00+01:00")
    assert "imminent" in triage(f"{SCENE} vers 23h", at=paris).flags


def test_the_words_that_made_it_imminent_are_quoted(triage: Triage) -> None:
    decision = triage(f"{SCENE} Mardi vers 23H", at=MONDAY_EVENING)
    words = {hit.rule: hit.words for hit in decision.hits}
    assert words["flag.imminent.weekday"] == ("Mardi",)
    assert words["flag.imminent.clock"] == ("23H",)
