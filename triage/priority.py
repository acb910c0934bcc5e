"""Priority from the rules file's table: the first rule whose condition holds."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from triage.rulefile import PriorityRule
from triage.vocabulary import LOCATED


class PriorityTable:
    """The priority rules in the order of the rules file, each answer remembered: a priority
    depends only on the category, the flags and whether the tip is located, and tips repeat a
    few dozen such combinations (at most 7 categories, 64 flag sets, located or not)."""

    def __init__(self, rules: Sequence[PriorityRule]) -> None:
        self.rules = tuple(rules)
        self._answers: dict[tuple[str, frozenset[str], bool], tuple[str, str]] = {}

    def __iter__(self) -> Iterator[PriorityRule]:
        return iter(self.rules)

    def prioritise(self, category: str, flags: frozenset[str], *, located: bool) -> tuple[str, str]:
        """The priority and the id of the rule that gave it."""
        key = (category, flags, located)
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answers[key] = _first_rule(self.rules, category, flags, located=located)
        return answer


def _first_rule(
    table: Sequence[PriorityRule], category: str, flags: frozenset[str], *, located: bool
) -> tuple[str, str]:
    facts = flags | {LOCATED} if located else flags
    for rule in table:
        if rule.applies(category, facts):
            return rule.priority, rule.id
    # The rules file is refused unless its last rule is unconditional, so this is unreachable.
    raise AssertionError("priority table without a default rule")
