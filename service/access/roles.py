"""Who may do what, as sets of roles. The routes enforce these sets; the permissions table
(``service.access.permissions``) states them again, route by route."""

from __future__ import annotations

from service.models import Role

ALL_ROLES = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
ADMIN_SUPERVISOR = frozenset({Role.ADMIN, Role.SUPERVISOR})
# The triage queue and the tip page: the duty officers and those who supervise them.
OFFICERS = frozenset({Role.DUTY_OFFICER, Role.SUPERVISOR})
# Cases: chiefs see their antenna's; officers and supervisors follow every antenna's.
CASE_READERS = frozenset({Role.ANTENNA_CHIEF, Role.DUTY_OFFICER, Role.SUPERVISOR})
# Acknowledging, status, outcomes, questions from a case: the chief, or a supervisor for them.
CASE_WORKERS = frozenset({Role.ANTENNA_CHIEF, Role.SUPERVISOR})
DASHBOARD_READERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
CHIEFS = frozenset({Role.ANTENNA_CHIEF})
# Operators take green-number calls live and type the voicemails; supervisors may do the same
# (as they do the duty officers' work), to stand in at a busy hour and to check what is typed.
HOTLINE_OPERATORS = frozenset({Role.OPERATOR, Role.SUPERVISOR})
# The audit trail: the auditor alone reads it.
AUDIT_READERS = frozenset({Role.AUDITOR})
# The triage rules in force (their version on the home page, the API's /rules).
RULES_VIEWERS = ADMIN_SUPERVISOR
