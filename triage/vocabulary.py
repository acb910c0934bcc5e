"""The closed vocabularies of a triage decision, fixed by triage.md (the output contract)."""

from __future__ import annotations

CATEGORIES = (
    "trafic",
    "production",
    "blanchiment",
    "vente",
    "consommation",
    "hors_competence",
    "non_exploitable",
)
# When several activities appear, the first in this order wins (triage.md).
ACTIVITY_PRECEDENCE = ("trafic", "production", "blanchiment", "vente", "consommation")
SUBSTANCES = (
    "cannabis",
    "cocaine",
    "heroine",
    "methamphetamine",
    "tramadol",
    "psychotropes",
    "medicaments_contrefaits",
    "precurseurs",
    "chicha",
)
FLAGS = ("imminent", "armes", "agent_public", "mineurs", "terrorisme", "frontiere")
PRIORITIES = ("P1", "P2", "P3", "P4")
# Helper cues: they never decide anything alone, they qualify other words.
CUES = ("drug", "habit", "past", "time")
# Facts a priority rule may test besides the flags.
LOCATED = "located"
DG = "DG"
