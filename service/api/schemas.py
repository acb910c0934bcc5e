"""Public shapes of the casework API. None carries an encrypted column, a phone number, a receipt
code or a key: reporters appear by pseudonym, tips by their public reference."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.casework.vocabulary import MAX_TEXT_LENGTH

_PUBLIC = ConfigDict(extra="forbid")


class RuleHitPublic(BaseModel):
    model_config = _PUBLIC
    rule: str
    explanation: str  # the rules file's French sentence for the rule
    explanation_en: str  # its English sentence (the French one where the file gives none)
    words: list[str]


class TriagePublic(BaseModel):
    """The decision the officer works from, and which of its fields an officer corrected."""

    model_config = _PUBLIC
    category: str | None
    priority: str | None
    antenna: str | None
    substances: list[str]
    place: str | None
    flags: list[str]
    rules: list[str]
    rules_version: str | None
    confident: bool | None
    hits: list[RuleHitPublic]
    corrected: list[str]


class OutcomePublic(BaseModel):
    model_config = _PUBLIC
    kind: str
    substance: str | None
    quantity: float | None
    unit: str | None
    arrests: int | None
    recorded_at: datetime


class CasePublic(BaseModel):
    model_config = _PUBLIC
    id: uuid.UUID
    tip_id: uuid.UUID
    reference: str
    antenna: str
    status: str
    priority: str | None
    category: str | None
    created_at: datetime
    ack_deadline: datetime | None
    acknowledged_at: datetime | None
    late: bool
    escalated: bool
    outcomes: list[OutcomePublic]


class QueueItemPublic(BaseModel):
    model_config = _PUBLIC
    tip_id: uuid.UUID
    reference: str
    channel: str
    status: str
    received_at: datetime
    # A voicemail's transcript: its deadline runs from here (before it nothing was decidable).
    transcribed_at: datetime | None = None
    priority: str | None
    category: str | None
    antenna: str | None
    claimed_by: str | None
    deadline: datetime | None
    seconds_left: int | None
    late: bool
    escalated: bool
    case_id: uuid.UUID | None
    answer_received: bool = False  # « réponse reçue »: the reporter answered, not read yet
    answer_for_you: bool = False  # …a question the caller asked (listed first)


class QueuePage(BaseModel):
    model_config = _PUBLIC
    total: int  # in the whole view, not only on this page
    total_is_floor: bool = False  # past views are counted up to 10,000: "at least"
    next: str | None = None  # pass as ``after`` for the next page; None on the last one
    items: list[QueueItemPublic]


class MessagePublic(BaseModel):
    model_config = _PUBLIC
    id: uuid.UUID | None = None  # what an attachment's ``message_id`` names
    reference: str
    direction: str
    created_at: datetime
    text: str
    delivery_status: str | None


class AttachmentPublic(BaseModel):
    """A file the reporter sent, as stored here: never Twilio's URL or id. ``url`` gives the
    bytes (decrypted for that request, audited); ``status`` is "stored" when they can be read,
    else "pending", "refused", "failed" or "erased"."""

    model_config = _PUBLIC
    id: uuid.UUID
    message_id: uuid.UUID
    kind: Literal["image", "audio", "other"]
    content_type: str
    size_bytes: int | None
    status: str
    url: str | None  # None while the bytes are not here


class RelatedTipPublic(BaseModel):
    model_config = _PUBLIC
    tip_id: uuid.UUID
    reference: str
    status: str
    kind: str


class PastTipPublic(BaseModel):
    model_config = _PUBLIC
    tip_id: uuid.UUID
    reference: str
    received_at: datetime
    status: str
    category: str | None
    case_status: str | None
    grade: str | None
    outcomes: list[str]


class SourcePublic(BaseModel):
    """A source by pseudonym (``SRC-XXXXXX``); a web reporter has none."""

    model_config = _PUBLIC
    pseudonym: str | None
    opted_out: bool
    past_tips: list[PastTipPublic]  # the most recent 20
    past_count: int = 0  # the source's other tips, counted up to 1,000
    past_count_is_floor: bool = False  # more than 1,000: "at least"


class NotePublic(BaseModel):
    model_config = _PUBLIC
    author: str
    created_at: datetime
    text: str


class TipDetailPublic(BaseModel):
    model_config = _PUBLIC
    id: uuid.UUID
    reference: str
    channel: str
    status: str
    received_at: datetime
    triage: TriagePublic
    conversation: list[MessagePublic]
    duplicates: list[RelatedTipPublic]
    merged: list[RelatedTipPublic]
    merged_into: RelatedTipPublic | None
    closure_reason: str | None
    source: SourcePublic
    grade: str | None
    notes: list[NotePublic]
    claimed_by: str | None
    case: CasePublic | None
    attachments: list[AttachmentPublic] = []
    place_hint: str | None = None  # the web form's « précision sur le lieu »
    answer_received: bool = False  # the reporter answered a question not read yet


class CaseDetailPublic(BaseModel):
    model_config = _PUBLIC
    case: CasePublic
    channel: str
    received_at: datetime
    triage: TriagePublic
    conversation: list[MessagePublic]
    merged: list[str]  # references of the tips merged into the case's tip (part of the case)
    pseudonym: str | None
    grade: str | None
    attachments: list[AttachmentPublic] = []
    place_hint: str | None = None


class CaseListPublic(BaseModel):
    """``counts`` are by status, within the antenna(s) the caller may see, each counted up to
    1,000: a status in ``counts_past_limit`` has more (years of closed cases)."""

    model_config = _PUBLIC
    total: int  # in the whole list (this status, or all), not only on this page
    total_is_floor: bool = False  # the list holds a status past the count limit: "at least"
    counts: dict[str, int]
    counts_past_limit: list[str] = []
    items: list[CasePublic]
    next: str | None = None  # pass as ``after`` for the next page; None on the last one


class ClaimPublic(BaseModel):
    model_config = _PUBLIC
    tip_id: uuid.UUID
    claimed_by: str | None


class TipStatusPublic(BaseModel):
    model_config = _PUBLIC
    tip_id: uuid.UUID
    reference: str
    status: str
    closure_reason: str | None
    merged_into: str | None


class QuestionQueued(BaseModel):
    model_config = _PUBLIC
    message_id: uuid.UUID
    delivery_status: str | None


class GradePublic(BaseModel):
    model_config = _PUBLIC
    tip_id: uuid.UUID
    grade: str


class AlertPhoneStatus(BaseModel):
    """Whether an alert number is on file; the number itself is never given back."""

    model_config = _PUBLIC
    configured: bool


class DashboardDay(BaseModel):
    model_config = _PUBLIC
    day: str
    by_channel: dict[str, int]


class SeizuresPublic(BaseModel):
    """What was seized of one substance in one unit over the period (grams counted in kg)."""

    model_config = _PUBLIC
    substance: str
    unit: str
    quantity: float
    seizures: int


class AntennaOutcomesPublic(BaseModel):
    model_config = _PUBLIC
    antenna: str
    by_kind: dict[str, int]
    arrests: int


class DashboardPublic(BaseModel):
    model_config = _PUBLIC
    days: list[DashboardDay]
    by_category: dict[str, int]
    by_antenna: dict[str, int]
    ack_buckets: dict[str, int]
    unacknowledged: int
    median_ack_minutes: dict[str, float | None]
    outcomes: dict[str, int]
    arrests: int
    seized: list[SeizuresPublic]
    outcomes_by_antenna: list[AntennaOutcomesPublic]


# Request bodies.


class CorrectionIn(BaseModel):
    model_config = _PUBLIC
    category: str | None = None
    priority: str | None = None
    antenna: str | None = None


class RouteIn(BaseModel):
    model_config = _PUBLIC
    antenna: str = Field(max_length=16)


class MergeIn(BaseModel):
    model_config = _PUBLIC
    into_tip_id: uuid.UUID


class CloseIn(BaseModel):
    model_config = _PUBLIC
    reason: Literal["spam", "hors_champ"]
    # Required to close a tip whose voicemail nobody has transcribed (nobody has heard it).
    unheard_voicemail_confirmed: bool = False


class TextIn(BaseModel):
    model_config = _PUBLIC
    text: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)


class GradeIn(BaseModel):
    model_config = _PUBLIC
    source_reliability: Literal["A", "B", "C", "D", "E", "F"]
    information_credibility: int = Field(ge=1, le=6)


class StatusIn(BaseModel):
    model_config = _PUBLIC
    status: Literal["nouveau", "en_cours", "operation_menee", "clos"]


class OutcomeIn(BaseModel):
    model_config = _PUBLIC
    kind: Literal["saisie", "interpellations", "sans_suite"]
    substance: str | None = None
    quantity: float | None = Field(default=None, gt=0)
    unit: str | None = None
    arrests: int | None = Field(default=None, gt=0)


class AlertPhoneIn(BaseModel):
    model_config = _PUBLIC
    phone: str = Field(min_length=8, max_length=32)
