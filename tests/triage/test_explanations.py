"""Every rule a decision can name carries a French sentence for the officers, and the loader
refuses a rules file where one is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.triage.conftest import FRIDAY_EVENING
from triage import RulesError, Ruleset, TipText, decide, load_ruleset
from triage.quality import load_corpus, packaged_corpus
from triage.ruleset import default_paths
from triage.vocabulary import COMPUTED_RULES

RULES, GAZETTEER = default_paths()
_FALLBACK = "sans explication"


def test_every_rule_of_the_file_and_every_computed_rule_has_a_sentence(ruleset: Ruleset) -> None:
    ids = [rule.id for rule in ruleset.rules]
    ids += [rule.id for rule in ruleset.priority]
    ids += list(COMPUTED_RULES)
    for rule_id in ids:
        sentence = ruleset.explain(rule_id)
        assert _FALLBACK not in sentence, rule_id
        assert sentence[0].isupper(), rule_id


def test_every_rule_has_its_english_sentence_in_the_packaged_file(ruleset: Ruleset) -> None:
    ids = [rule.id for rule in ruleset.rules] + [rule.id for rule in ruleset.priority]
    for rule_id in [*ids, *COMPUTED_RULES]:
        assert ruleset.explanations_en.get(rule_id), rule_id
        assert ruleset.explain(rule_id, "en") != ruleset.explain(rule_id), rule_id


def test_an_english_sentence_is_optional_and_falls_back_to_the_french(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    text = rules.read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("    explanation_en:"))
    rules.write_text(text.replace(line + "\n", "", 1), encoding="utf-8")

    loaded = load_ruleset(rules, GAZETTEER)

    first = loaded.rules[0].id
    assert loaded.explain(first, "en") == loaded.explain(first)


def test_every_rule_a_real_tip_fires_is_explained(ruleset: Ruleset) -> None:
    for labelled in load_corpus(packaged_corpus()):
        decision = decide(labelled.tip, ruleset)
        for hit in decision.hits:
            assert _FALLBACK not in ruleset.explain(hit.rule), (labelled.id, hit.rule)


def test_a_hit_carries_the_words_that_fired_with_its_sentence(ruleset: Ruleset) -> None:
    tip = TipText("un camion de canabiss quitte Sikasso ce soir", FRIDAY_EVENING)
    decision = decide(tip, ruleset)
    hits = {hit.rule: hit.words for hit in decision.hits}
    assert hits["sub.cannabis"] == ("canabiss",)
    assert "cannabis" in ruleset.explain("sub.cannabis")


def test_an_import_names_the_country_the_drugs_were_bought_in(ruleset: Ruleset) -> None:
    tip = TipText("il achète le yamba au Ghana et le revend à Sikasso", FRIDAY_EVENING)
    decision = decide(tip, ruleset)
    hits = {hit.rule: hit.words for hit in decision.hits}
    assert decision.category == "trafic"
    assert hits["cat.trafic.across_border"] == ("Ghana",)


def test_an_unknown_id_gets_a_plain_sentence(ruleset: Ruleset) -> None:
    assert ruleset.explain("cat.nowhere.rule") == (
        "Règle cat.nowhere.rule (sans explication dans cette version des règles)"
    )


def _copy(tmp_path: Path) -> Path:
    return Path(shutil.copy(RULES, tmp_path / "rules.yaml"))


def test_a_rule_without_a_sentence_is_refused(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    text = rules.read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("    explanation:"))
    rules.write_text(text.replace(line + "\n", "", 1), encoding="utf-8")
    with pytest.raises(RulesError, match="explanation"):
        load_ruleset(rules, GAZETTEER)


def test_a_computed_rule_without_a_sentence_is_refused(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    text = rules.read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("  route.airport:"))
    rules.write_text(text.replace(line + "\n", "", 1), encoding="utf-8")
    with pytest.raises(RulesError, match=r"route\.airport"):
        load_ruleset(rules, GAZETTEER)


def test_a_sentence_for_a_rule_the_engine_does_not_compute_is_refused(tmp_path: Path) -> None:
    rules = _copy(tmp_path)
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("\nexplanations:\n", "\nexplanations:\n  route.nowhere: Rien.\n"))
    with pytest.raises(RulesError, match=r"route\.nowhere"):
        load_ruleset(rules, GAZETTEER)
