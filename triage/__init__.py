"""Triage: pure, I/O-free rule-based decisions for tips (see shared/triage.md)."""

from triage.decision import Decision, RuleHit, TipText
from triage.engine import decide
from triage.errors import RulesError
from triage.routing import AntennaStatus
from triage.ruleset import Ruleset, load_ruleset

__all__ = [
    "AntennaStatus",
    "Decision",
    "RuleHit",
    "RulesError",
    "Ruleset",
    "TipText",
    "decide",
    "load_ruleset",
]
