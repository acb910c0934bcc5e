"""Loading the rules and gazetteer files into one immutable, compiled, versioned ruleset.

This is the only module of the package that touches files, and only the files it is handed.
"""

from __future__ import annotations

import functools
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from triage.errors import RulesError
from triage.fuzzy import DrugTypos, FuzzyIndex
from triage.gazetteer import Gazetteer, read_gazetteer
from triage.matcher import ABROAD, PLACE, RULE, Entry, PhraseMatcher
from triage.priority import PriorityTable
from triage.rulefile import Rule, RuleBook, read_rules
from triage.yamlnodes import NodeReader

__all__ = [
    "RulesError",
    "Ruleset",
    "check_file",
    "default_paths",
    "is_gazetteer",
    "load_ruleset",
]

_DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Ruleset:
    """Everything a decision needs, compiled once; ``version`` is a hash of both files' bytes."""

    version: str
    rules: tuple[Rule, ...]
    cues: dict[str, frozenset[tuple[str, ...]]]
    priority: PriorityTable
    gazetteer: Gazetteer
    matcher: PhraseMatcher = field(repr=False)
    fuzzy: FuzzyIndex = field(repr=False)
    drug_typos: DrugTypos = field(repr=False)
    explanations: dict[str, str] = field(repr=False)
    # English sentences, where the file gives them (``explain`` falls back to the French).
    explanations_en: dict[str, str] = field(default_factory=dict, repr=False)

    def explain(self, rule_id: str, language: str = "fr") -> str:
        """The sentence an officer reads for a rule id of ``Decision.rules`` (a keyword rule, a
        priority rule or a rule the engine computes), in French or ``"en"``; any other id gets
        a plain one."""
        if language == "en":
            sentence = _sentence_of(self.explanations_en, rule_id)
            if sentence is not None:
                return sentence
        sentence = _sentence_of(self.explanations, rule_id)
        if sentence is not None:
            return sentence
        return f"Règle {rule_id} (sans explication dans cette version des règles)"


def _sentence_of(sentences: dict[str, str], rule_id: str) -> str | None:
    """The rule's own sentence, or its family's (``family.*``)."""
    sentence = sentences.get(rule_id)
    if sentence is not None:
        return sentence
    family = rule_id.rsplit(".", 1)[0]
    while "." in family:
        if f"{family}.*" in sentences:
            return sentences[f"{family}.*"]
        family = family.rsplit(".", 1)[0]
    return None


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
    """Compile from bytes already read, so the version is the hash of exactly what was parsed.

    Compiling takes most of a second; a ruleset is immutable, so the same files compile once
    per process: the worker's start after a restart of its loop, a file put back as it was, and
    every app a test suite starts reuse it. Only the last two are kept (the one in force and
    the one it replaced)."""
    return _compiled(rules_path, rules_bytes, gazetteer_path, gazetteer_bytes)


@functools.lru_cache(maxsize=2)
def _compiled(
    rules_path: Path, rules_bytes: bytes, gazetteer_path: Path, gazetteer_bytes: bytes
) -> Ruleset:
    book = read_rules(NodeReader(rules_path, rules_bytes))
    gazetteer = read_gazetteer(NodeReader(gazetteer_path, gazetteer_bytes))
    rule_words = _rule_words(book)
    known = rule_words | book.ordinary_words | gazetteer.common_words | _place_words(gazetteer)
    return Ruleset(
        version=content_hash(rules_bytes, gazetteer_bytes),
        rules=book.rules,
        cues=book.cues,
        priority=PriorityTable(book.priority),
        gazetteer=gazetteer,
        matcher=_compile(book, gazetteer),
        fuzzy=FuzzyIndex(gazetteer, rule_words),
        drug_typos=DrugTypos(_drug_names(book), known),
        explanations=_all_explanations(book),
        explanations_en=_all_explanations_en(book),
    )


def _all_explanations(book: RuleBook) -> dict[str, str]:
    sentences = dict(book.explanations)
    sentences.update((rule.id, rule.explanation) for rule in book.rules)
    sentences.update((rule.id, rule.explanation) for rule in book.priority)
    return sentences


def _all_explanations_en(book: RuleBook) -> dict[str, str]:
    sentences = dict(book.explanations_en)
    sentences.update((rule.id, rule.explanation_en) for rule in book.rules if rule.explanation_en)
    sentences.update(
        (rule.id, rule.explanation_en) for rule in book.priority if rule.explanation_en
    )
    return sentences


def _drug_names(book: RuleBook) -> list[tuple[str, int]]:
    """One-word names of substances: a misspelt one still names the substance."""
    return [
        (phrase, index)
        for index, rule in enumerate(book.rules)
        if rule.effect == "substance" and not rule.conditional
        for phrase in rule.phrases
        if " " not in phrase
    ]


def _place_words(gazetteer: Gazetteer) -> frozenset[str]:
    return (
        frozenset(word for variant in gazetteer.variants for word in variant.phrase.split(" "))
        | gazetteer.abroad_words
    )


def _compile(book: RuleBook, gazetteer: Gazetteer) -> PhraseMatcher:
    phrases: dict[str, list[Entry]] = defaultdict(list)
    for index, rule in enumerate(book.rules):
        for phrase in rule.phrases:
            phrases[phrase].append(Entry(RULE, index, phrase.count(" ") + 1))
    for index, variant in enumerate(gazetteer.variants):
        phrases[variant.phrase].append(Entry(PLACE, index, variant.phrase.count(" ") + 1))
    for index, phrase in enumerate(gazetteer.abroad):
        phrases[phrase].append(Entry(ABROAD, index, phrase.count(" ") + 1))
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


def is_gazetteer(path: Path) -> bool:
    """Whether ``path`` is a gazetteer (``antennas:``) rather than a rules file."""
    return "antennas" in _top_keys(NodeReader(path, read_bytes(path)))


def _top_keys(reader: NodeReader) -> set[str]:
    if not isinstance(reader.root, yaml.MappingNode):
        raise reader.error(reader.root, "expected a mapping at the top of the file")
    return {str(key.value) for key, _ in reader.root.value}
