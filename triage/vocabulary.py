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
# Not a drug matter to route: a category of its own, never an activity.
NOT_DRUG = ("hors_competence", "non_exploitable")
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
# Helper cues: they never decide anything alone, they qualify other words. "statement" marks a
# text that is not a report (a press statement, an opinion, a question about the service),
# "report" a concrete report despite such words, "hidden" goods concealed in a load, "moving" a
# vehicle on its way.
CUES = ("drug", "habit", "past", "time", "statement", "report", "hidden", "moving")
# Facts a priority rule may test besides the flags.
LOCATED = "located"
DG = "DG"

# Rule ids the engine computes (no words in the rules file); the rules file gives each a sentence.
COMPUTED_RULES = (
    "flag.imminent.weekday",
    "flag.imminent.date",
    "flag.imminent.clock",
    "flag.imminent.relative",
    "flag.mineurs.age",
    "flag.frontiere.border_post",
    "cat.vente.available",
    "cat.trafic.from_abroad",
    "cat.trafic.across_border",
    "cat.non_exploitable.nothing",
    "cat.non_exploitable.question_only",
    "cat.non_exploitable.lone_word",
    "cat.non_exploitable.statement",
    "cat.hors_competence.not_drug",
    "cat.hors_competence.goods",
    "place.text",
    "place.fuzzy",
    "place.form",
    "route.dg.not_actionable",
    "route.dg.need_to_know",
    "route.dg.unlocated",
    "route.dg.bamako_city",
    "route.airport",
    "route.place",
    "route.fallback",
)
