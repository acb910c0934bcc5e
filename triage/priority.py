"""Priority from the rules file's table: the first rule whose condition holds."""

from __future__ import annotations

from collections.abc import Iterable

from triage.rulefile import PriorityRule
from triage.vocabulary import LOCATED


def prioritise(
    table: Iterable[PriorityRule], category: str, flags: frozenset[str], *, located: bool
) -> tuple[str, str]:
    """The priority and the id of the rule that gave it."""
    facts = flags | {LOCATED} if located else flags
    for rule in table:
        if rule.applies(category, facts):
            return rule.priority, rule.id
    # The rules file is refused unless its last rule is unconditional, so this is unreachable.
    raise AssertionError("priority table without a default rule")
