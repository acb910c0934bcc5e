"""Rules and gazetteer files: validation with the line of the problem, versions, checking."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from triage import RulesError, load_ruleset
from triage.ruleset import check_file, default_paths

RULES, GAZETTEER = default_paths()


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    return Path(shutil.copy(RULES, tmp_path / "rules.yaml"))


@pytest.fixture
def gazetteer_copy(tmp_path: Path) -> Path:
    return Path(shutil.copy(GAZETTEER, tmp_path / "gazetteer.yaml"))


def _replace(path: Path, old: str, new: str) -> int:
    """Edit the file; the 1-based line number of the edit."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def _line_of(path: Path, fragment: str) -> int:
    text = path.read_text(encoding="utf-8")
    return text[: text.index(fragment)].count("\n") + 1


def test_the_packaged_files_load_and_check(rules_copy: Path) -> None:
    ruleset = load_ruleset()
    assert len(ruleset.version) == 16
    assert check_file(RULES) != check_file(GAZETTEER)
    assert load_ruleset(rules_copy, GAZETTEER).version == ruleset.version


def test_the_version_is_the_hash_of_both_files(rules_copy: Path, gazetteer_copy: Path) -> None:
    before = load_ruleset(rules_copy, gazetteer_copy).version
    with rules_copy.open("a", encoding="utf-8") as rules:
        rules.write("# a comment is a change\n")
    assert load_ruleset(rules_copy, gazetteer_copy).version != before
    assert check_file(rules_copy) != check_file(RULES)


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        ("  - id: sub.chicha\n", "  - id: sub.chicha\n    colour: blue\n", "unknown key 'colour'"),
        ("    substance: chicha\n", "    substance: hashish\n", "unknown substance 'hashish'"),
        (
            "    words: [chicha, chichas,",
            "    words: []\n    note: [chicha, chichas,",
            "has no words",
        ),
        ("  - id: sub.chicha\n", "  - id: sub.chicha\n    flag: armes\n", "exactly one of"),
        ("  - id: sub.heroine\n", "  - id: sub.cannabis\n", "used twice"),
        ("    needs: [cat.production.*]\n", "    needs: [cat.nothing.*]\n", "unknown rule"),
        ("    priority: P3\n", "    priority: P5\n", "unknown priority 'P5'"),
        # not_after is read one word at a time: a phrase there would never match.
        ("    not_after: [dos]\n", "    not_after: [le dos]\n", "single words"),
        ("    when: {all: [imminent, located]}", "    when: {all: [urgent]}", "unknown fact"),
    ],
)
def test_a_broken_rules_file_is_refused_naming_the_line(
    rules_copy: Path, old: str, new: str, complaint: str
) -> None:
    line = _replace(rules_copy, old, new)
    with pytest.raises(RulesError) as refused:
        load_ruleset(rules_copy, GAZETTEER)
    message = str(refused.value)
    assert complaint in message
    assert str(rules_copy) in message
    reported = int(message.split(":")[1])
    assert line <= reported <= line + new.count("\n")
    with pytest.raises(RulesError):
        check_file(rules_copy)


def test_a_rules_copy_made_before_the_vague_places_still_loads(rules_copy: Path) -> None:
    text = rules_copy.read_text(encoding="utf-8")
    start = text.index("  vague_place:")
    end = text.index("]", start) + 2
    rules_copy.write_text(text[:start] + text[end:], encoding="utf-8")
    ruleset = load_ruleset(rules_copy, GAZETTEER)
    assert ruleset.cues["vague_place"] == frozenset()


def test_bad_yaml_names_its_line(rules_copy: Path) -> None:
    line = _replace(rules_copy, "  - id: sub.chicha\n", "  - id: [sub.chicha\n")
    with pytest.raises(RulesError, match="not valid YAML") as refused:
        load_ruleset(rules_copy, GAZETTEER)
    assert line <= int(str(refused.value).split(":")[1]) <= line + 2


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        ("fallback: GAO,", "fallback: XYZ,", "fallback 'XYZ'"),
        ("    - Kangaba\n", "    - Kangaba\n    - {name: Kangaba}\n", "'Kangaba' is listed twice"),
        (
            "    - {name: Kati, ambiguous: true}",
            "    - {name: Kati, ambigous: true}",
            "unknown key",
        ),
        ("operational: false,", "operational: peut-être,", "expected true or false"),
        ("  Ménaka:\n", "  Atlantis: [Ys]\n  Ménaka:\n", "no antenna covers the region 'Atlantis'"),
        (
            "    - Kangaba\n",
            "    - Kangaba\n    - {name: Kangabaa, variants: [Kati]}\n",
            "already names Kati",
        ),
    ],
)
def test_a_broken_gazetteer_is_refused_naming_the_line(
    gazetteer_copy: Path, old: str, new: str, complaint: str
) -> None:
    _replace(gazetteer_copy, old, new)
    with pytest.raises(RulesError, match=complaint) as refused:
        load_ruleset(RULES, gazetteer_copy)
    assert str(refused.value).startswith(f"{gazetteer_copy}:")
    assert int(str(refused.value).split(":")[1]) > 1


def test_a_missing_file_is_a_rules_error(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot be read"):
        load_ruleset(tmp_path / "absent.yaml", GAZETTEER)


def test_check_file_tells_rules_from_gazetteer(tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("settings: {}\n", encoding="utf-8")
    with pytest.raises(RulesError, match="neither a rules file"):
        check_file(other)
    assert len(check_file(GAZETTEER)) == 16


def test_the_files_mark_every_short_ambiguous_name() -> None:
    ruleset = load_ruleset()
    ambiguous = {place.name for place in ruleset.gazetteer.places if place.ambiguous}
    assert {
        "San",
        "Bla",
        "Gao",
        "Koro",
        "Kati",
        "Nara",
        "Boni",
        "Ber",
        "Dilly",
        "Mena",
        "Sema",
    } <= ambiguous
