"""The closed lists officers choose from; categories, priorities and substances are triage's own."""

from __future__ import annotations

from service.models import CaseStatus, Channel, ClosureReason, OutcomeKind
from triage.vocabulary import CATEGORIES as CATEGORIES
from triage.vocabulary import PRIORITIES as PRIORITIES
from triage.vocabulary import SUBSTANCES as SUBSTANCES

# "dont X prioritaires" in a chief's alert counts immediate and urgent cases.
URGENT_PRIORITIES = frozenset({"P1", "P2"})
QUANTITY_UNITS = ("kg", "g", "comprimes", "plants", "litres")
# Admiralty scale: how reliable the source has been, how credible this information is.
SOURCE_RELIABILITY = ("A", "B", "C", "D", "E", "F")
INFORMATION_CREDIBILITY = (1, 2, 3, 4, 5, 6)
CHANNELS = tuple(channel.value for channel in Channel)
CASE_STATUSES = tuple(status.value for status in CaseStatus)
OUTCOME_KINDS = tuple(kind.value for kind in OutcomeKind)
OFFICER_CLOSURES = (ClosureReason.SPAM.value, ClosureReason.OUT_OF_SCOPE.value)

MAX_TEXT_LENGTH = 1000
