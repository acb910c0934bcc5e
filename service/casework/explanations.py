"""Why triage decided as it did, in words an officer reads: each rule that fired as the French
sentence the rules file gives it (and its English one, for the API), with the words of the tip
that made it fire."""

from __future__ import annotations

from dataclasses import dataclass

from triage import RuleHit, Ruleset


@dataclass(frozen=True)
class ExplainedHit:
    rule: str  # the rule's id, for the API and the record; pages show the sentence
    explanation: str
    words: tuple[str, ...]
    explanation_en: str = ""


def explain_hits(hits: list[RuleHit], rules: Ruleset) -> list[ExplainedHit]:
    """Sentences from the rules in force (an id they no longer know gets a plain sentence)."""
    return [
        ExplainedHit(hit.rule, rules.explain(hit.rule), hit.words, rules.explain(hit.rule, "en"))
        for hit in hits
    ]
