"""The authorisation rules of the casework pages and API, merged into ``ROUTE_RULES``.

Chiefs read cases (their antenna's only: another antenna's case answers 404 in the route);
officers and supervisors read every antenna's; chiefs and supervisors act on cases.
"""

from __future__ import annotations

from service.casework.roles import (
    CASE_READERS,
    CASE_WORKERS,
    CHIEFS,
    DASHBOARD_READERS,
    OFFICERS,
)
from service.models import Role

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
    "question",
    "note",
    "cotation",
)
CASE_ACTIONS = ("accuse", "statut", "resultat", "question")
API_TIP_ACTIONS = ("corrections", "route", "merge", "close", "questions", "notes", "grades")
API_CASE_ACTIONS = ("acknowledge", "status", "outcomes", "questions")

CASEWORK_RULES: dict[tuple[str, str], frozenset[Role]] = {
    # The duty officers' queue and tip page, and every action on a tip.
    ("GET", "/console/signalements"): OFFICERS,
    ("GET", _TIP): OFFICERS,
    **{("POST", f"{_TIP}/{action}"): OFFICERS for action in TIP_ACTIONS},
    ("GET", "/console/dossiers"): CASE_READERS,
    ("GET", _CASE): CASE_READERS,
    **{("POST", f"{_CASE}/{action}"): CASE_WORKERS for action in CASE_ACTIONS},
    ("GET", "/console/alerte-sms"): CHIEFS,
    ("POST", "/console/alerte-sms"): CHIEFS,
    ("GET", "/console/tableau-de-bord"): DASHBOARD_READERS,
    # The same operations in the API.
    ("GET", "/api/v1/queue"): OFFICERS,
    ("GET", _API_TIP): OFFICERS,
    ("POST", f"{_API_TIP}/claim"): OFFICERS,
    ("DELETE", f"{_API_TIP}/claim"): OFFICERS,
    **{("POST", f"{_API_TIP}/{action}"): OFFICERS for action in API_TIP_ACTIONS},
    ("GET", "/api/v1/cases"): CASE_READERS,
    ("GET", _API_CASE): CASE_READERS,
    **{("POST", f"{_API_CASE}/{action}"): CASE_WORKERS for action in API_CASE_ACTIONS},
    ("GET", "/api/v1/dashboard"): DASHBOARD_READERS,
    ("GET", "/api/v1/alert-phone"): CHIEFS,
    ("PUT", "/api/v1/alert-phone"): CHIEFS,
    ("DELETE", "/api/v1/alert-phone"): CHIEFS,
}
