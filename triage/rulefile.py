"""The rules file: keyword rules, the engine's cue word lists, and the priority table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from triage.normalise import BREAK, tokenise
from triage.vocabulary import (
    CATEGORIES,
    COMPUTED_RULES,
    CUES,
    FLAGS,
    LOCATED,
    NOT_DRUG,
    PRIORITIES,
    SUBSTANCES,
)
from triage.yamlnodes import NodeReader

_RULE_ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
_EFFECTS = {"substance": SUBSTANCES, "category": CATEGORIES, "flag": FLAGS, "cue": CUES}
_RULE_KEYS = {
    "id",
    "words",
    "explanation",
    "explanation_en",
    "note",
    "needs",
    "unless",
    "not_after",
    "not_before",
    "kept_by",
    "drug_after",
    *_EFFECTS,
}
CUE_LISTS = (
    "negation_before",
    "negation_after",
    "doubt_before",
    "locative_before",
    "not_locative",
    "locative_after",
    "destination_before",
    "arrival_before",
    "origin_named_before",
    "origin_before",
    "across_border_before",
    "route_to",
    "skip_before_place",
    "vague_place",
)
# Cue lists added after rules files were first copied: an older copy without them still loads.
_OPTIONAL_CUES = frozenset({"vague_place"})
_WHEN_KEYS = {"all", "any", "category", "category_not"}


@dataclass(frozen=True, slots=True)
class Rule:
    """One keyword rule: the words that make it fire and what its firing means."""

    id: str
    effect: str  # substance | category | flag | cue
    value: str
    phrases: tuple[str, ...]  # normalised
    needs: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    not_after: frozenset[str] = frozenset()
    drug_after: int = 0
    # Phrases that cancel the rule when they follow it closely in its sentence ("la douane
    # a saisi": the customs seized, they are not implicated).
    not_before: tuple[tuple[str, ...], ...] = ()
    # Phrases that keep the rule firing in their sentence despite not_after / not_before
    # ("le poste de police protège les dealers").
    kept_by: tuple[tuple[str, ...], ...] = ()
    explanation: str = ""
    explanation_en: str = ""  # the same sentence in English (optional; the console is French)
    # Hits of one group shadow the shorter hits they contain ("chaque soir" over "soir").
    group: str = ""
    # Derived once here rather than on every hit of every tip.
    names_drug: bool = field(init=False, repr=False, compare=False)
    conditional: bool = field(init=False, repr=False, compare=False)
    in_context: bool = field(init=False, repr=False, compare=False)  # not_after or not_before
    # The effect's place among substances, categories, flags and cues (evidence.Said), and the
    # value said there.
    said: tuple[int, str] = field(init=False, repr=False, compare=False)
    # The categories whose explanation quotes this rule when it fires.
    explained_in: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names_drug = self.effect == "substance" or (self.effect, self.value) == ("cue", "drug")
        object.__setattr__(self, "names_drug", names_drug)
        object.__setattr__(self, "conditional", bool(self.needs or self.unless))
        object.__setattr__(self, "in_context", bool(self.not_after or self.not_before))
        object.__setattr__(self, "said", (tuple(_EFFECTS).index(self.effect), self.value))
        object.__setattr__(self, "explained_in", explained_in(self.effect, self.value))


def explained_in(effect: str, value: str) -> frozenset[str]:
    """Non-drug cues explain only a text found not exploitable; a rule choosing a non-drug
    category explains only that category; every other rule explains any decision."""
    if effect == "cue" and value in ("statement", "report"):
        return frozenset({"non_exploitable"})
    if effect == "category" and value in NOT_DRUG:
        return frozenset({value})
    return frozenset(CATEGORIES)


def group_of(effect: str, value: str) -> str:
    if effect == "cue":
        return value if value in ("drug", "statement", "report", "hidden", "moving") else "time"
    if effect == "flag":
        return "time" if value == "imminent" else f"flag:{value}"
    return effect


@dataclass(frozen=True, slots=True)
class PriorityRule:
    id: str
    priority: str
    explanation: str
    all_of: frozenset[str]
    any_of: frozenset[str]
    categories: frozenset[str]
    categories_not: frozenset[str]
    explanation_en: str = ""

    def applies(self, category: str, facts: frozenset[str]) -> bool:
        return (
            self.all_of <= facts
            and (not self.any_of or bool(self.any_of & facts))
            and (not self.categories or category in self.categories)
            and category not in self.categories_not
        )


@dataclass(frozen=True, slots=True)
class RuleBook:
    rules: tuple[Rule, ...]
    cues: dict[str, frozenset[tuple[str, ...]]]
    priority: tuple[PriorityRule, ...]
    # Sentences for the rule ids the engine computes (place.*, route.*, flag.imminent.date...).
    explanations: dict[str, str]
    # Ordinary words a letter or two from a drug name, never read as its misspelling.
    ordinary_words: frozenset[str]
    # The computed rules' sentences in English, where the file gives them.
    explanations_en: dict[str, str] = field(default_factory=dict)


def phrase_of(reader: NodeReader, text: str, node: yaml.Node) -> str:
    """A word or phrase as the engine sees it: normalised, one space between words."""
    norms = tokenise(text).norms
    if not norms:
        raise reader.error(node, f"'{text}' has no letters or digits")
    if BREAK in norms:
        raise reader.error(node, f"'{text}' contains sentence punctuation (. ! ? ; :)")
    return " ".join(norms)


def read_rules(reader: NodeReader) -> RuleBook:
    top = reader.mapping(
        reader.root,
        allowed={"rules", "cues", "priority", "explanations", "explanations_en", "ordinary_words"},
        required=frozenset({"rules", "cues", "priority", "explanations"}),
    )
    rules = [_rule(reader, node) for node in reader.sequence(top["rules"], non_empty="no rules")]
    _check_ids(reader, rules, reader.sequence(top["rules"]))
    ordinary = top.get("ordinary_words")
    return RuleBook(
        rules=tuple(rules),
        cues=_cues(reader, top["cues"]),
        priority=_priority(reader, top["priority"]),
        explanations=_explanations(reader, top["explanations"]),
        ordinary_words=frozenset(_phrases(reader, ordinary)),
        explanations_en=_explanations(reader, top.get("explanations_en"), every=False),
    )


def _explanations(
    reader: NodeReader, node: yaml.Node | None, *, every: bool = True
) -> dict[str, str]:
    """Every computed rule id has its sentence (the English ones are optional); an unknown id is
    a typo."""
    if node is None:
        return {}
    sentences = {}
    for rule_id, key_node, value in reader.keyed(node):
        if rule_id not in COMPUTED_RULES:
            raise reader.error(key_node, f"'{rule_id}' is not a rule the engine computes")
        sentences[rule_id] = _sentence(reader, value)
    missing = [rule_id for rule_id in COMPUTED_RULES if rule_id not in sentences]
    if missing and every:
        raise reader.error(node, f"explanations has no sentence for {', '.join(missing)}")
    return sentences


def _optional_sentence(reader: NodeReader, node: yaml.Node | None) -> str:
    return "" if node is None else _sentence(reader, node)


def _sentence(reader: NodeReader, node: yaml.Node) -> str:
    text = reader.string(node).strip()
    if not text:
        raise reader.error(node, "an explanation is an empty sentence")
    return text


def _rule(reader: NodeReader, node: yaml.Node) -> Rule:
    entries = reader.mapping(
        node, allowed=_RULE_KEYS, required=frozenset({"id", "words", "explanation"})
    )
    rule_id = reader.string(entries["id"])
    if not _RULE_ID.match(rule_id):
        raise reader.error(entries["id"], f"rule id '{rule_id}' must look like family.name")
    effect, value = _effect(reader, node, entries)
    words = reader.strings(entries["words"], non_empty=f"rule '{rule_id}' has no words")
    phrases = tuple(dict.fromkeys(phrase_of(reader, text, at) for text, at in words))
    return Rule(
        id=rule_id,
        effect=effect,
        value=value,
        phrases=phrases,
        needs=_names(reader, entries.get("needs")),
        unless=_names(reader, entries.get("unless")),
        not_after=_single_words(reader, entries.get("not_after")),
        drug_after=_drug_after(reader, entries.get("drug_after")),
        group=group_of(effect, value),
        not_before=_word_tuples(reader, entries.get("not_before")),
        kept_by=_word_tuples(reader, entries.get("kept_by")),
        explanation=_sentence(reader, entries["explanation"]),
        explanation_en=_optional_sentence(reader, entries.get("explanation_en")),
    )


def _single_words(reader: NodeReader, node: yaml.Node | None) -> frozenset[str]:
    """``not_after``'s words: each is looked for among the few words before the rule's own, one
    word at a time, so a phrase there could never match and is refused."""
    if node is None:
        return frozenset()
    words = [(phrase_of(reader, text, at), at) for text, at in reader.strings(node)]
    for word, at in words:
        if " " in word:
            raise reader.error(at, f"not_after holds single words, not '{word}'")
    return frozenset(word for word, _ in words)


def _word_tuples(reader: NodeReader, node: yaml.Node | None) -> tuple[tuple[str, ...], ...]:
    return tuple(dict.fromkeys(tuple(p.split(" ")) for p in _phrases(reader, node)))


def _effect(reader: NodeReader, node: yaml.Node, entries: dict[str, yaml.Node]) -> tuple[str, str]:
    effects = [key for key in _EFFECTS if key in entries]
    if len(effects) != 1:
        raise reader.error(node, f"a rule says exactly one of {', '.join(_EFFECTS)}")
    effect = effects[0]
    value = reader.string(entries[effect])
    if value not in _EFFECTS[effect]:
        known = ", ".join(_EFFECTS[effect])
        raise reader.error(entries[effect], f"unknown {effect} '{value}' (known: {known})")
    return effect, value


def _names(reader: NodeReader, node: yaml.Node | None) -> tuple[str, ...]:
    return () if node is None else tuple(text for text, _ in reader.strings(node))


def _phrases(reader: NodeReader, node: yaml.Node | None) -> list[str]:
    if node is None:
        return []
    return [phrase_of(reader, text, at) for text, at in reader.strings(node)]


def _drug_after(reader: NodeReader, node: yaml.Node | None) -> int:
    return 0 if node is None else reader.integer(node, low=1, high=10)


def _check_ids(reader: NodeReader, rules: list[Rule], nodes: list[yaml.Node]) -> None:
    seen: set[str] = set()
    for rule, node in zip(rules, nodes, strict=True):
        if rule.id in seen:
            raise reader.error(node, f"rule id '{rule.id}' is used twice")
        seen.add(rule.id)
    for rule, node in zip(rules, nodes, strict=True):
        entries = reader.mapping(node, allowed=_RULE_KEYS)
        for key in ("needs", "unless"):
            for name in getattr(rule, key):
                if not any(matches_name(name, other.id) for other in rules if other is not rule):
                    message = f"rule '{rule.id}' refers to unknown rule '{name}'"
                    raise reader.error(entries[key], message)


def matches_name(name: str, rule_id: str) -> bool:
    """``sub.*`` names every rule of the family, any other name one rule."""
    if name.endswith(".*"):
        return rule_id.startswith(name[:-1])
    return rule_id == name


def _cues(reader: NodeReader, node: yaml.Node) -> dict[str, frozenset[tuple[str, ...]]]:
    entries = reader.mapping(
        node, allowed=set(CUE_LISTS), required=frozenset(CUE_LISTS) - _OPTIONAL_CUES
    )
    return {
        name: frozenset(tuple(p.split(" ")) for p in _phrases(reader, entries.get(name)))
        for name in CUE_LISTS
    }


def _priority(reader: NodeReader, node: yaml.Node) -> tuple[PriorityRule, ...]:
    items = reader.sequence(node, non_empty="the priority table is empty")
    table = tuple(_priority_rule(reader, item) for item in items)
    last = table[-1]
    if last.all_of or last.any_of or last.categories or last.categories_not:
        raise reader.error(items[-1], "the last priority rule must have no condition (the default)")
    return table


def _priority_rule(reader: NodeReader, node: yaml.Node) -> PriorityRule:
    entries = reader.mapping(
        node,
        allowed={"id", "priority", "when", "note", "explanation", "explanation_en"},
        required=frozenset({"id", "priority", "when", "explanation"}),
    )
    priority = reader.string(entries["priority"])
    if priority not in PRIORITIES:
        raise reader.error(entries["priority"], f"unknown priority '{priority}'")
    when = (
        reader.mapping(entries["when"], allowed=_WHEN_KEYS) if _has_items(entries["when"]) else {}
    )
    facts = {*FLAGS, LOCATED}
    return PriorityRule(
        id=reader.string(entries["id"]),
        priority=priority,
        explanation=_sentence(reader, entries["explanation"]),
        all_of=_closed(reader, when.get("all"), facts, "fact"),
        any_of=_closed(reader, when.get("any"), facts, "fact"),
        categories=_closed(reader, when.get("category"), set(CATEGORIES), "category"),
        categories_not=_closed(reader, when.get("category_not"), set(CATEGORIES), "category"),
        explanation_en=_optional_sentence(reader, entries.get("explanation_en")),
    )


def _has_items(node: yaml.Node) -> bool:
    return not (isinstance(node, yaml.MappingNode) and not node.value)


def _closed(
    reader: NodeReader, node: yaml.Node | None, known: set[str], what: str
) -> frozenset[str]:
    if node is None:
        return frozenset()
    values = reader.strings(node)
    for value, at in values:
        if value not in known:
            raise reader.error(at, f"unknown {what} '{value}' (known: {', '.join(sorted(known))})")
    return frozenset(value for value, _ in values)
