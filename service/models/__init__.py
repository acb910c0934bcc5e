"""Database tables. Importing this package registers every table on ``SQLModel.metadata``."""

from service.models.antennas import Antenna
from service.models.console import AuditEntry, SessionStage, StaffSession, TotpUse
from service.models.intake import Channel, Direction, Message, Reporter, Tip, TipStatus
from service.models.outbox import OutboxEntry
from service.models.staff import Role, StaffUser
from service.models.triage import Case, CaseStatus, DuplicateKind, DuplicateLink, TriageDecision

__all__ = [
    "Antenna",
    "AuditEntry",
    "Case",
    "CaseStatus",
    "Channel",
    "Direction",
    "DuplicateKind",
    "DuplicateLink",
    "Message",
    "OutboxEntry",
    "Reporter",
    "Role",
    "SessionStage",
    "StaffSession",
    "StaffUser",
    "Tip",
    "TipStatus",
    "TotpUse",
    "TriageDecision",
]
