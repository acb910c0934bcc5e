"""Who may call what: one rule per console page and API operation.

``ROUTE_RULES`` maps (HTTP method, path template as declared on the route) to the roles allowed.
Every route under /console and /api/v1 must appear here: the authorisation matrix test
(tests/console/test_authorization_matrix.py) walks ``app.routes``, fails on a route without a
rule, and calls each route as every role, expecting 403 for the roles not listed.

The routes themselves enforce their roles with ``require_roles``; this table is the independent
statement of intent the test holds them to. Routes in ``PUBLIC_ROUTES`` work before sign-in.
"""

from __future__ import annotations

from service.console.casework_rules import CASEWORK_RULES
from service.console.hotline_rules import HOTLINE_RULES
from service.models import Role

ALL_ROLES = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
ADMIN_SUPERVISOR = frozenset({Role.ADMIN, Role.SUPERVISOR})
AUDITOR = frozenset({Role.AUDITOR})

# Reached during sign-in, before a complete session exists.
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/console/connexion"),
        ("POST", "/console/connexion"),
        ("GET", "/console/connexion/code"),
        ("POST", "/console/connexion/code"),
        ("GET", "/console/connexion/enrolement"),
        ("POST", "/console/connexion/enrolement"),
        ("GET", "/console/mot-de-passe"),
        ("POST", "/console/mot-de-passe"),
        ("POST", "/console/deconnexion"),
    }
)

ROUTE_RULES: dict[tuple[str, str], frozenset[Role]] = {
    # Sign-in, password, sign-out (console core).
    **dict.fromkeys(PUBLIC_ROUTES, ALL_ROLES),
    ("GET", "/console"): ALL_ROLES,
    # Administration: accounts by the admin, antennas by the admin and supervisors.
    ("GET", "/console/admin/utilisateurs"): ADMIN,
    ("POST", "/console/admin/utilisateurs"): ADMIN,
    ("POST", "/console/admin/utilisateurs/{user_id}/role"): ADMIN,
    ("POST", "/console/admin/utilisateurs/{user_id}/desactivation"): ADMIN,
    ("POST", "/console/admin/utilisateurs/{user_id}/reactivation"): ADMIN,
    ("POST", "/console/admin/utilisateurs/{user_id}/totp"): ADMIN,
    ("POST", "/console/admin/utilisateurs/{user_id}/mot-de-passe"): ADMIN,
    ("GET", "/console/admin/antennes"): ADMIN_SUPERVISOR,
    ("POST", "/console/admin/antennes/{code}"): ADMIN_SUPERVISOR,
    # The audit trail: the auditor alone reads it.
    ("GET", "/console/audit"): AUDITOR,
    # JSON API (console core).
    ("GET", "/api/v1/me"): ALL_ROLES,
    ("GET", "/api/v1/rules"): ADMIN_SUPERVISOR,
    ("GET", "/api/v1/users"): ADMIN,
    ("POST", "/api/v1/users"): ADMIN,
    ("PATCH", "/api/v1/users/{user_id}"): ADMIN,
    ("POST", "/api/v1/users/{user_id}/totp-reset"): ADMIN,
    ("POST", "/api/v1/users/{user_id}/password-reset"): ADMIN,
    ("GET", "/api/v1/antennas"): ADMIN_SUPERVISOR,
    ("PATCH", "/api/v1/antennas/{code}"): ADMIN_SUPERVISOR,
    ("GET", "/api/v1/audit"): AUDITOR,
    # Console work (queue, tips, cases, escalation, dashboard): add its routes below.
    **CASEWORK_RULES,
    # The hotline operators' pages: calls typed live, voicemails transcribed.
    **HOTLINE_RULES,
}
