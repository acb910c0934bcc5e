"""Loading the rules and gazetteer files into one immutable, compiled, versioned ruleset.

This is the only module of the package that touches files, and only the files it is handed.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from triage.errors import RulesError
from triage.fuzzy import FuzzyIndex
from triage.gazetteer import Gazetteer, read_gazetteer
from triage.matcher import PLACE, RULE, Entry, PhraseMatcher
from triage.rulefile import PriorityRule, Rule, RuleBook, read_rules
from triage.yamlnodes import NodeReader

__all__ = ["RulesError", "Ruleset", "check_file", "default_paths", "load_ruleset"]

_DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Ruleset:
    """Everything a decision needs, compiled once; ``version`` is a hash of both files' bytes."""

    version: str
    rules: tuple[Rule, ...]
    cues: dict[str, frozenset[tuple[str, ...]]]
    priority: tuple[PriorityRule, ...]
    gazetteer: Gazetteer
    matcher: PhraseMatcher = field(repr=False)
    fuzzy: FuzzyIndex = field(repr=False)


def default_paths() -> tuple[Path, Path]:
    """The packaged rules and gazetteer files."""
    return _DATA / "rules.yaml", _DATA / "gazetteer.yaml"


def content_hash(*blobs: bytes) -> str:
    digest = hashlib.sha256()
    for blob in blobs:
        # Length-prefixed, so that moving bytes from one file to the other changes the version.
        digest.update(len(blob).to_bytes(8, "big"))
        digest.update(blob)
    return digest.hexdigest()[:16]


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RulesError(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def load_ruleset(rules_path: Path | None = None, gazetteer_path: Path | None = None) -> Ruleset:
    """Read, validate and compile; None means the packaged file. Raises RulesError."""
    default_rules, default_gazetteer = default_paths()
    rules_path = rules_path or default_rules
    gazetteer_path = gazetteer_path or default_gazetteer
    return build_ruleset(
        rules_path, read_bytes(rules_path), gazetteer_path, read_bytes(gazetteer_path)
    )


def build_ruleset(
    rules_path: Path, rules_bytes: bytes, gazetteer_path: Path, gazetteer_bytes: bytes
) -> Ruleset:
    """Compile from bytes already read, so the version is the hash of exactly what was parsed."""
    book = read_rules(NodeReader(rules_path, rules_bytes))
    gazetteer = read_gazetteer(NodeReader(gazetteer_path, gazetteer_bytes))
    return Ruleset(
        version=content_hash(rules_bytes, gazetteer_bytes),
        rules=book.rules,
        cues=book.cues,
        priority=book.priority,
        gazetteer=gazetteer,
        matcher=_compile(book, gazetteer),
        fuzzy=FuzzyIndex(gazetteer, _rule_words(book)),
    )


def _compile(book: RuleBook, gazetteer: Gazetteer) -> PhraseMatcher:
    phrases: dict[str, list[Entry]] = defaultdict(list)
    for index, rule in enumerate(book.rules):
        for phrase in rule.phrases:
            phrases[phrase].append(Entry(RULE, index, phrase.count(" ") + 1))
    for index, variant in enumerate(gazetteer.variants):
        phrases[variant.phrase].append(Entry(PLACE, index, variant.phrase.count(" ") + 1))
    return PhraseMatcher(phrases)


def _rule_words(book: RuleBook) -> frozenset[str]:
    """Words the rules give a meaning to are never read as a misspelt place."""
    return frozenset(
        word for rule in book.rules for phrase in rule.phrases for word in phrase.split()
    )


def check_file(path: Path) -> str:
    """Validate one rules or gazetteer file (told apart by its top-level keys); its hash."""
    data = read_bytes(path)
    reader = NodeReader(path, data)
    keys = _top_keys(reader)
    if "rules" in keys:
        read_rules(reader)
    elif "antennas" in keys:
        read_gazetteer(reader)
    else:
        raise reader.error(reader.root, "neither a rules file (rules:) nor a gazetteer (antennas:)")
    return content_hash(data)


def _top_keys(reader: NodeReader) -> set[str]:
    if not isinstance(reader.root, yaml.MappingNode):
        raise reader.error(reader.root, "expected a mapping at the top of the file")
    return {str(key.value) for key, _ in reader.root.value}
