"""Antenna and priority: need-to-know, hand-over of non-operational antennas, the table."""

from __future__ import annotations

import pytest

from tests.triage.conftest import Triage
from triage import AntennaStatus


def test_public_agents_and_terrorism_go_to_the_dg_only(triage: Triage) -> None:
    for text in ("un gendarme de Kayes vend du yamba", "des jihadistes taxent la coke à Kayes"):
        decision = triage(text)
        assert (decision.antenna, decision.place) == ("DG", "Kayes")
        assert "route.dg.need_to_know" in decision.rules
        assert not decision.confident


def test_a_non_operational_antenna_hands_over_to_its_fallback(triage: Triage) -> None:
    decision = triage("un camion de yamba à Tessalit")
    assert decision.antenna == "GAO"
    assert decision.rules[-3:-1] == ("route.place", "route.fallback")


def test_the_database_status_overrides_the_gazetteer(triage: Triage) -> None:
    closed = {"SIK": AntennaStatus(operational=False, fallback="BGN")}
    assert triage("un camion de yamba à Sikasso", status=closed).antenna == "BGN"
    reopened = {"KID": AntennaStatus(operational=True, fallback="GAO")}
    assert triage("un camion de yamba à Kidal", status=reopened).antenna == "KID"


def test_a_hand_over_loop_or_dead_end_ends_at_the_dg(triage: Triage) -> None:
    loop = {
        "SIK": AntennaStatus(operational=False, fallback="BGN"),
        "BGN": AntennaStatus(operational=False, fallback="SIK"),
    }
    assert triage("un camion de yamba à Sikasso", status=loop).antenna == "DG"
    dead = {"SIK": AntennaStatus(operational=False, fallback=None)}
    assert triage("un camion de yamba à Sikasso", status=dead).antenna == "DG"


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("bonjour", "P4"),
        ("un camion de yamba à Kayes ce soir", "P1"),
        ("des hommes armés vendent du yamba à Kayes", "P1"),
        ("des hommes armés vendent du yamba", "P3"),  # armed but not located
        ("un camion de yamba à Kayes", "P2"),
        ("ils fument du yamba à Kayes", "P3"),  # located consumption
        ("ils fument du yamba ce soir", "P2"),  # imminent, not located
        ("les élèves fument du yamba", "P2"),
        ("un groupe jihadiste vend la drogue", "P2"),
        ("un réseau vend de la méthamphétamine", "P3"),
    ],
)
def test_priority_follows_the_table(triage: Triage, text: str, priority: str) -> None:
    assert triage(text).priority == priority


def test_the_decision_says_which_priority_rule_applied(triage: Triage) -> None:
    assert triage("un camion de yamba à Kayes ce soir").rules[-1] == "prio.p1.imminent_located"


def test_confident_needs_a_drug_matter_an_exact_place_and_a_local_antenna(triage: Triage) -> None:
    assert triage("un dealer vend du kush à Banconi").confident
    assert not triage("un dealer vend du kush").confident
    assert not triage("un vol de moto à Banconi").confident
    assert not triage("un dealer vend du kush à Banconni").confident  # guessed from a typo


def test_public_dict_has_exactly_the_contract_keys_sorted(triage: Triage) -> None:
    public = triage("yamba, coke et des armes chez un policier à Kayes ce soir").to_public_dict()
    assert list(public) == [
        "category", "substances", "priority", "flags", "antenna", "place", "rules",
        "rules_version",
    ]  # fmt: skip
    assert public["substances"] == ["cannabis", "cocaine"]
    assert public["flags"] == ["agent_public", "armes", "imminent"]
