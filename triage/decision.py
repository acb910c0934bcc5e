"""What triage receives and what it decides (the fields of triage.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple


@dataclass(frozen=True)
class TipText:
    """A tip as triage sees it: its text (all the reporter's messages), when it arrived, the
    channel, and the web form's place field if any."""

    text: str
    received_at: datetime
    channel: str = "sms"
    place: str | None = None


# RuleHit and Decision are named tuples, not frozen dataclasses: as immutable, but a frozen
# dataclass sets each field through object.__setattr__, and every tip makes a decision and a
# hit per rule that fired (about a tenth of the time of a decision went into building them).


class RuleHit(NamedTuple):
    """A rule that fired and the words of the tip that made it fire, as the tip wrote them."""

    rule: str
    words: tuple[str, ...]


class Decision(NamedTuple):
    """A triage decision.

    ``confident`` says the service may route the tip without a duty officer (unless a sensitive
    flag is set): the category is an actual drug matter (not non_exploitable or hors_competence),
    the place was named exactly in the text (not guessed from a typo) or given by the web form's
    place field, and the antenna is a local one (not DG).
    """

    category: str
    substances: tuple[str, ...]
    priority: str
    flags: tuple[str, ...]
    antenna: str
    place: str | None
    rules: tuple[str, ...]
    rules_version: str
    hits: tuple[RuleHit, ...]
    confident: bool

    def to_public_dict(self) -> dict[str, object]:
        """Exactly the output keys of triage.md; substances and flags sorted, rules in order."""
        return {
            "category": self.category,
            "substances": sorted(self.substances),
            "priority": self.priority,
            "flags": sorted(self.flags),
            "antenna": self.antenna,
            "place": self.place,
            "rules": list(self.rules),
            "rules_version": self.rules_version,
        }
