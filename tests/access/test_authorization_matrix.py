"""The authorisation matrix: every role against every console page and API operation.

The routes come from the application's own route table, so a page or operation added without a
rule in ``service.access.permissions.ROUTE_RULES`` fails ``test_every_console_and_api_route_has
_a_rule``. Each route is then called as each role (with a valid session and CSRF token, path
parameters filled with ids that exist nowhere) and as nobody:

- a role the rule lists must get through the role check: anything but 401/403 or a redirect to
  the sign-in page (a 404 for an unknown id, a 422 for an empty form are fine);
- a role the rule does not list must get exactly 403;
- nobody signed in gets 401 under /api/v1 and a 303 to the sign-in page in the console.

For the console-work routes (queue, tips, cases, escalation, dashboard): add one entry per
(method, path template) to ``ROUTE_RULES`` and protect the route with ``require_roles``; routers
must carry ``dependencies=[Depends(csrf_protect)]``. Nothing to change here — unless a path
parameter needs a particular sample value, in which case add it to ``SAMPLE_PATH_VALUES``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from service.access.csrf import CSRF_COOKIE, CSRF_HEADER, SAFE_METHODS, csrf_protect, csrf_token_for
from service.access.permissions import PUBLIC_ROUTES, ROUTE_RULES
from service.core.db import create_engine, create_sessionmaker, transaction
from service.models import Role, SessionStage
from service.settings import Settings
from service.staff.sessions import SESSION_COOKIE, open_session
from tests.support.app import http_client
from tests.support.console import StaffAccount, create_staff

GUARDED_PREFIXES = ("/console", "/api/v1")
SIGN_IN = "/console/connexion"
# Path parameters by name, when a random value of the declared type will not do.
SAMPLE_PATH_VALUES: dict[str, str] = {"code": "ZZ-INCONNUE"}


@dataclass(frozen=True)
class GuardedRoute:
    method: str
    path: str
    dependant: Dependant

    @property
    def public(self) -> bool:
        return (self.method, self.path) in PUBLIC_ROUTES

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/v1")

    def sample_url(self) -> str:
        url = self.path
        for param in self.dependant.path_params:
            url = url.replace("{" + param.name + "}", _sample(param.name, param.field_info))
        return url


def _sample(name: str, field_info: Any) -> str:
    if name in SAMPLE_PATH_VALUES:
        return SAMPLE_PATH_VALUES[name]
    if field_info.annotation is int:
        return "987654321"
    return str(uuid.uuid4())


def guarded_routes(app: FastAPI) -> Iterator[GuardedRoute]:
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute):
            continue
        path = route.path or ""
        if not any(path == prefix or path.startswith(prefix + "/") for prefix in GUARDED_PREFIXES):
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            yield GuardedRoute(method, path, route.dependant)


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def test_every_console_and_api_route_has_a_rule(app: FastAPI) -> None:
    routes = list(guarded_routes(app))
    assert len(routes) >= 30  # the table was really read (core routes alone are 30)
    missing = [(r.method, r.path) for r in routes if (r.method, r.path) not in ROUTE_RULES]
    assert missing == [], f"routes without a rule in ROUTE_RULES: {missing}"
    existing = {(r.method, r.path) for r in routes}
    assert sorted(set(ROUTE_RULES) - existing) == [], "rules for routes that no longer exist"


def test_every_unsafe_console_and_api_route_checks_the_csrf_token(app: FastAPI) -> None:
    unprotected = [
        (r.method, r.path)
        for r in guarded_routes(app)
        if r.method not in SAFE_METHODS and csrf_protect not in set(_calls(r.dependant))
    ]
    assert unprotected == []


async def _open_sessions(settings: Settings, accounts: dict[Role, StaffAccount]) -> dict[Role, str]:
    """One fresh signed-in session per role (a sign-out call would end a shared one)."""
    engine = create_engine(settings.resolved_database_url, settings)
    tokens: dict[Role, str] = {}
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            for role, account in accounts.items():
                _row, tokens[role] = await open_session(
                    session=session, user_id=account.id, stage=SessionStage.ACTIVE
                )
    finally:
        await engine.dispose()
    return tokens


async def _call(
    http: httpx.AsyncClient, route: GuardedRoute, cookies: dict[str, str], key: str
) -> httpx.Response:
    http.cookies.clear()
    for name, value in cookies.items():
        http.cookies.set(name, value)
    headers = {CSRF_HEADER: csrf_token_for(key)}
    url = route.sample_url()
    if route.method in SAFE_METHODS:
        return await http.request(route.method, url, headers=headers)
    if route.api:
        return await http.request(route.method, url, headers=headers, json={})
    return await http.request(route.method, url, headers=headers, data={})


def _refused_sign_in(response: httpx.Response) -> bool:
    return response.status_code in (401, 403) or (
        response.status_code == 303 and response.headers["location"] == SIGN_IN
    )


async def test_each_role_reaches_exactly_the_routes_its_rule_allows(
    app: FastAPI, settings: Settings
) -> None:
    accounts = {role: await create_staff(settings, role=role) for role in Role}
    wrong: list[str] = []
    async with http_client(app) as http:
        for route in guarded_routes(app):
            allowed = ROUTE_RULES[(route.method, route.path)]
            tokens = await _open_sessions(settings, accounts)
            for role in Role:
                response = await _call(http, route, {SESSION_COOKIE: tokens[role]}, tokens[role])
                status = response.status_code
                if role in allowed and _refused_sign_in(response) and not route.public:
                    wrong.append(f"{role} refused {route.method} {route.path}: {status}")
                if role in allowed and status in (401, 403):
                    wrong.append(f"{role} refused {route.method} {route.path}: {status}")
                if role not in allowed and status != 403:
                    wrong.append(f"{role} not refused {route.method} {route.path}: {status}")
    assert wrong == []


async def test_nobody_signed_in_reaches_only_the_sign_in_routes(app: FastAPI) -> None:
    wrong: list[str] = []
    key = "pre-session-cookie-of-an-anonymous-browser"
    async with http_client(app) as http:
        for route in guarded_routes(app):
            if route.public:
                continue
            response = await _call(http, route, {CSRF_COOKIE: key}, key)
            expected_api = route.api and response.status_code == 401
            expected_page = (
                not route.api
                and response.status_code == 303
                and response.headers["location"] == SIGN_IN
            )
            if not (expected_api or expected_page):
                wrong.append(f"{route.method} {route.path}: {response.status_code}")
    assert wrong == []


def test_the_matrix_rules_match_the_design() -> None:
    """Spot checks of intent, so the table cannot drift into allowing everything."""
    assert ROUTE_RULES[("GET", "/console/audit")] == frozenset({Role.AUDITOR})
    assert ROUTE_RULES[("GET", "/api/v1/audit")] == frozenset({Role.AUDITOR})
    assert ROUTE_RULES[("POST", "/api/v1/users")] == frozenset({Role.ADMIN})
    assert Role.AUDITOR not in ROUTE_RULES[("PATCH", "/api/v1/antennas/{code}")]
    auditor_routes = {
        route for route, roles in ROUTE_RULES.items() if Role.AUDITOR in roles
    } - PUBLIC_ROUTES
    assert auditor_routes == {
        ("GET", "/console"),
        ("GET", "/console/audit"),
        ("GET", "/api/v1/audit"),
        ("GET", "/api/v1/me"),
    }
