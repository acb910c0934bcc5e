"""The category: which activity the tip reports, or why it is not a drug matter to route."""

from __future__ import annotations

from collections.abc import Sequence

from triage.evidence import Fired
from triage.normalise import BREAK, NormalisedText
from triage.vocabulary import ACTIVITY_PRECEDENCE

NOT_DRUG = ("hors_competence", "non_exploitable")
# Without a drug named, weapons or terrorists still make it a real report, just not ours.
_REAL_REPORT_FLAGS = ("armes", "terrorisme")
_LONE_WORDS = 2


def is_drug_matter(fired: Sequence[Fired]) -> bool:
    return any(
        h.rule.effect == "substance" or (h.rule.effect, h.rule.value) == ("cue", "drug")
        for h in fired
    )


def choose_category(
    text: NormalisedText, fired: Sequence[Fired], *, located: bool
) -> tuple[str, str | None]:
    """The category, and the id of the default rule that chose it when no cue rule did."""
    if is_drug_matter(fired):
        return _drug_category(text, fired, located=located)
    values = {h.rule.value for h in fired if h.rule.effect in ("category", "flag")}
    if "hors_competence" in values:
        return "hors_competence", None
    if values & set(_REAL_REPORT_FLAGS):
        return "hors_competence", "cat.hors_competence.not_drug"
    if "non_exploitable" in values:
        return "non_exploitable", None
    return "non_exploitable", "cat.non_exploitable.nothing"


def _drug_category(
    text: NormalisedText, fired: Sequence[Fired], *, located: bool
) -> tuple[str, str | None]:
    activities = {h.rule.value for h in fired if h.rule.effect == "category"}
    for category in ACTIVITY_PRECEDENCE:
        if category in activities:
            return category, None
    if not located and _is_question(text, fired):
        return "non_exploitable", "cat.non_exploitable.question_only"
    if not located and sum(1 for word in text.norms if word != BREAK) <= _LONE_WORDS:
        return "non_exploitable", "cat.non_exploitable.lone_word"
    # triage.md: drugs said to be available somewhere, with no other activity, is sale.
    return "vente", "cat.vente.available"


def _is_question(text: NormalisedText, fired: Sequence[Fired]) -> bool:
    return "?" in text.source or any(h.rule.id == "cat.non_exploitable.question" for h in fired)


def explains(category: str, hit: Fired) -> bool:
    """Non-drug cues are only read when no drug is named; otherwise they explain nothing."""
    return (
        hit.rule.effect != "category"
        or hit.rule.value not in NOT_DRUG
        or hit.rule.value == category
    )
