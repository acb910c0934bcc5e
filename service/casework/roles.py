"""Who does casework. The routes enforce these sets; ``ROUTE_RULES`` states them again."""

from __future__ import annotations

from service.models import Role

# The triage queue and the tip page: the duty officers and those who supervise them.
OFFICERS = frozenset({Role.DUTY_OFFICER, Role.SUPERVISOR})
# Cases: chiefs see their antenna's; officers and supervisors follow every antenna's.
CASE_READERS = frozenset({Role.ANTENNA_CHIEF, Role.DUTY_OFFICER, Role.SUPERVISOR})
# Acknowledging, status, outcomes, questions from a case: the chief, or a supervisor for them.
CASE_WORKERS = frozenset({Role.ANTENNA_CHIEF, Role.SUPERVISOR})
DASHBOARD_READERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
CHIEFS = frozenset({Role.ANTENNA_CHIEF})
