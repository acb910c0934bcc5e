"""Who may call what: one rule per console page and API operation.

``ROUTE_RULES`` maps (HTTP method, path template as declared on the route) to the roles allowed.
Every route under /console and /api/v1 must appear here: the authorisation matrix test
(tests/access/test_authorization_matrix.py) walks ``app.routes``, fails on a route without a
rule, and calls each route as every role, expecting 403 for the roles not listed.

The routes themselves enforce their roles with ``require_roles``; this table is the independent
statement of intent the test holds them to. Routes in ``PUBLIC_ROUTES`` work before sign-in.
"""

from __future__ import annotations

from service.access.roles import (
    ADMIN,
    ADMIN_SUPERVISOR,
    ALL_ROLES,
    AUDIT_READERS,
    CASE_READERS,
    CASE_WORKERS,
    CHIEFS,
    DASHBOARD_READERS,
    HOTLINE_OPERATORS,
    OFFICERS,
    RULES_VIEWERS,
)
from service.models import Role

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

# The hotline operators' pages.
ENTRY_PATH = "/console/standard/saisie"
VOICEMAILS_PATH = "/console/standard/enregistrements"
_VOICEMAIL = VOICEMAILS_PATH + "/{message_id}"

QUEUE_REFRESH_PATH = "/console/signalements/actualisation"
_TIP = "/console/signalements/{tip_id}"
_CASE = "/console/dossiers/{case_id}"
_API_TIP = "/api/v1/tips/{tip_id}"
_API_CASE = "/api/v1/cases/{case_id}"
TIP_ACTIONS = (
    "prise-en-charge",
    "liberation",
    "correction",
    "transmission",
    "fusion",
    "cloture",
    "annulation",
    "question",
    "note",
    "cotation",
)
CASE_ACTIONS = ("accuse", "statut", "resultat", "question")
API_TIP_ACTIONS = ("corrections", "route", "merge", "close", "questions", "notes", "grades")
API_CASE_ACTIONS = ("acknowledge", "status", "outcomes", "questions")

ROUTE_RULES: dict[tuple[str, str], frozenset[Role]] = {
    # Sign-in, password, sign-out, home.
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
    ("GET", "/console/audit"): AUDIT_READERS,
    # The duty officers' queue and tip page, and every action on a tip.
    ("GET", "/console/signalements"): OFFICERS,
    # The queue's list alone, fetched again by the open page every few seconds.
    ("GET", QUEUE_REFRESH_PATH): OFFICERS,
    ("GET", _TIP): OFFICERS,
    # A voicemail of the tip, played from its page; a photo or voice note the reporter sent.
    ("GET", f"{_TIP}/vocal/{{message_id}}"): OFFICERS,
    ("GET", f"{_TIP}/fichiers/{{file_id}}"): OFFICERS,
    # The confirmation steps before a merge or a closure.
    ("GET", f"{_TIP}/fusion"): OFFICERS,
    ("GET", f"{_TIP}/cloture"): OFFICERS,
    **{("POST", f"{_TIP}/{action}"): OFFICERS for action in TIP_ACTIONS},
    # Cases: chiefs read their antenna's only (another antenna's case answers 404 in the route).
    ("GET", "/console/dossiers"): CASE_READERS,
    ("GET", _CASE): CASE_READERS,
    ("GET", f"{_CASE}/vocal/{{message_id}}"): CASE_READERS,
    ("GET", f"{_CASE}/fichiers/{{file_id}}"): CASE_READERS,
    **{("POST", f"{_CASE}/{action}"): CASE_WORKERS for action in CASE_ACTIONS},
    ("GET", "/console/alerte-sms"): CHIEFS,
    ("POST", "/console/alerte-sms"): CHIEFS,
    ("GET", "/console/tableau-de-bord"): DASHBOARD_READERS,
    ("GET", "/console/tableau-de-bord/export.csv"): DASHBOARD_READERS,
    # The hotline operators' pages: calls typed live, voicemails transcribed.
    ("GET", ENTRY_PATH): HOTLINE_OPERATORS,
    ("POST", ENTRY_PATH): HOTLINE_OPERATORS,
    ("GET", VOICEMAILS_PATH): HOTLINE_OPERATORS,
    ("GET", _VOICEMAIL): HOTLINE_OPERATORS,
    ("GET", f"{_VOICEMAIL}/audio"): HOTLINE_OPERATORS,
    ("POST", f"{_VOICEMAIL}/transcription"): HOTLINE_OPERATORS,
    ("POST", f"{_VOICEMAIL}/reessai"): HOTLINE_OPERATORS,
    # The JSON API.
    ("GET", "/api/v1/me"): ALL_ROLES,
    ("GET", "/api/v1/rules"): RULES_VIEWERS,
    ("GET", "/api/v1/users"): ADMIN,
    ("POST", "/api/v1/users"): ADMIN,
    ("PATCH", "/api/v1/users/{user_id}"): ADMIN,
    ("POST", "/api/v1/users/{user_id}/totp-reset"): ADMIN,
    ("POST", "/api/v1/users/{user_id}/password-reset"): ADMIN,
    ("GET", "/api/v1/antennas"): ADMIN_SUPERVISOR,
    ("PATCH", "/api/v1/antennas/{code}"): ADMIN_SUPERVISOR,
    ("GET", "/api/v1/audit"): AUDIT_READERS,
    ("GET", "/api/v1/queue"): OFFICERS,
    ("GET", _API_TIP): OFFICERS,
    ("GET", f"{_API_TIP}/attachments/{{attachment_id}}"): OFFICERS,
    ("POST", f"{_API_TIP}/claim"): OFFICERS,
    ("DELETE", f"{_API_TIP}/claim"): OFFICERS,
    **{("POST", f"{_API_TIP}/{action}"): OFFICERS for action in API_TIP_ACTIONS},
    ("GET", "/api/v1/cases"): CASE_READERS,
    ("GET", _API_CASE): CASE_READERS,
    ("GET", f"{_API_CASE}/attachments/{{attachment_id}}"): CASE_READERS,
    **{("POST", f"{_API_CASE}/{action}"): CASE_WORKERS for action in API_CASE_ACTIONS},
    ("GET", "/api/v1/dashboard"): DASHBOARD_READERS,
    ("GET", "/api/v1/alert-phone"): CHIEFS,
    ("PUT", "/api/v1/alert-phone"): CHIEFS,
    ("DELETE", "/api/v1/alert-phone"): CHIEFS,
}
