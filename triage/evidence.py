"""From phrase matches to fired rules: longest phrase wins, negations, conditions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from triage.cues import words_before
from triage.matcher import RULE, Match
from triage.normalise import BREAK, NormalisedText
from triage.rulefile import Rule, matches_name
from triage.ruleset import Ruleset

_NEGATION_WINDOW = 2
# "près de la gendarmerie": the landmark word may sit three words after the preposition.
_NOT_AFTER_WINDOW = 3
_NEGATABLE = ("category", "flag")


@dataclass(frozen=True, slots=True)
class Fired:
    """One rule firing on the words first..last of the tip."""

    rule: Rule
    first: int
    last: int
    order: int  # the rule's place in the rules file, to break ties


def fire(
    text: NormalisedText, matches: Sequence[Match], ruleset: Ruleset, place_words: set[int]
) -> list[Fired]:
    hits = [
        Fired(ruleset.rules[m.entry.ref], m.first, m.last, m.entry.ref)
        for m in matches
        if m.entry.kind == RULE and not _overlaps(m.first, m.last, place_words)
    ]
    hits = _longest_per_group(hits)
    drugs = [h.first for h in hits if _names_drug(h.rule)]
    hits = [h for h in hits if not _cancelled(text, h, ruleset) and _drug_follows(text, h, drugs)]
    return sorted(_conditions_hold(hits), key=lambda h: (h.first, h.order))


def _overlaps(first: int, last: int, words: set[int]) -> bool:
    return any(index in words for index in range(first, last + 1))


def _names_drug(rule: Rule) -> bool:
    return rule.effect == "substance" or (rule.effect, rule.value) == ("cue", "drug")


def _longest_per_group(hits: list[Fired]) -> list[Fired]:
    """A hit inside a longer hit of the same group is the same words read less well:
    "chaque soir" is a habit, not a "soir"; "vente en gros" is wholesale, not retail."""
    hits.sort(key=lambda h: h.first - h.last)
    kept: list[Fired] = []
    for hit in hits:
        inside = any(
            k.rule.group == hit.rule.group
            and k.first <= hit.first
            and hit.last <= k.last
            and k.last - k.first > hit.last - hit.first
            for k in kept
        )
        if not inside:
            kept.append(hit)
    return kept


def _cancelled(text: NormalisedText, hit: Fired, ruleset: Ruleset) -> bool:
    if hit.rule.not_after and any(
        word in hit.rule.not_after for word in words_before(text, hit.first, _NOT_AFTER_WINDOW)
    ):
        return True
    before = words_before(text, hit.first, _NEGATION_WINDOW)
    if hit.rule.effect not in _NEGATABLE:
        return False
    cues = ruleset.cues
    if any((word,) in cues["negation_before"] for word in before):
        return True
    after = hit.last + 1
    return after < len(text.norms) and (text.norms[after],) in cues["negation_after"]


def _drug_follows(text: NormalisedText, hit: Fired, drugs: Iterable[int]) -> bool:
    if not hit.rule.drug_after:
        return True
    end = hit.last + hit.rule.drug_after
    return any(
        hit.last < start <= end and BREAK not in text.norms[hit.last + 1 : start] for start in drugs
    )


def _conditions_hold(hits: list[Fired]) -> list[Fired]:
    """``needs`` and ``unless`` look at the rules that fired without conditions of their own,
    so the outcome never depends on the order of the rules in the file."""
    base = {h.rule.id for h in hits if not h.rule.conditional}

    def named(names: tuple[str, ...]) -> bool:
        return any(matches_name(name, rule_id) for name in names for rule_id in base)

    return [
        h
        for h in hits
        if (not h.rule.needs or named(h.rule.needs))
        and not (h.rule.unless and named(h.rule.unless))
    ]
