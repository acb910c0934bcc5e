"""Database tables. Importing this package registers every table on ``SQLModel.metadata``."""

from service.models.antennas import Antenna
from service.models.casework import (
    AlertReason,
    CaseEscalation,
    CaseOutcome,
    ChiefAlert,
    ClosureReason,
    InternalNote,
    OutcomeKind,
    ReporterQuestion,
    SourceGrade,
    StaffAlertPhone,
    TipClaim,
    TipClosure,
    TriageCorrection,
)
from service.models.channels import (
    Attachment,
    AttachmentSource,
    AttachmentStatus,
    OperatorEntry,
)
from service.models.console import AuditEntry, SessionStage, StaffSession, TotpUse
from service.models.intake import Channel, Direction, Message, Reporter, Tip, TipStatus
from service.models.outbox import OutboxEntry
from service.models.retention import RetentionCursor
from service.models.staff import Role, StaffUser
from service.models.triage import Case, CaseStatus, DuplicateKind, DuplicateLink, TriageDecision

__all__ = [
    "AlertReason",
    "Antenna",
    "Attachment",
    "AttachmentSource",
    "AttachmentStatus",
    "AuditEntry",
    "Case",
    "CaseEscalation",
    "CaseOutcome",
    "CaseStatus",
    "Channel",
    "ChiefAlert",
    "ClosureReason",
    "Direction",
    "DuplicateKind",
    "DuplicateLink",
    "InternalNote",
    "Message",
    "OperatorEntry",
    "OutboxEntry",
    "OutcomeKind",
    "Reporter",
    "ReporterQuestion",
    "RetentionCursor",
    "Role",
    "SessionStage",
    "SourceGrade",
    "StaffAlertPhone",
    "StaffSession",
    "StaffUser",
    "Tip",
    "TipClaim",
    "TipClosure",
    "TipStatus",
    "TotpUse",
    "TriageCorrection",
    "TriageDecision",
]
