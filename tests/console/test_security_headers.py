"""Security headers on console pages and API answers; no inline script or style anywhere."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from fastapi import FastAPI

from service.models import Role
from service.settings import Settings
from tests.conftest import make_settings
from tests.support.app import http_client, running_app
from tests.support.console import create_staff, session_client

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
_INLINE_STYLE = re.compile(r"<style|\sstyle=|\son[a-z]+=", re.IGNORECASE)
CORE_PAGES = (
    "/console",
    "/console/mot-de-passe",
    "/console/admin/utilisateurs",
    "/console/admin/antennes",
    "/console/audit",
)


def assert_strict_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_every_core_page_carries_the_headers_and_no_inline_code(
    app: FastAPI, settings: Settings
) -> None:
    roles = {Role.ADMIN, Role.AUDITOR}
    pages: list[httpx.Response] = []
    for role in roles:
        account = await create_staff(settings, role=role)
        async with session_client(app, settings, account) as http:
            pages += [await http.get(path) for path in CORE_PAGES]
    async with http_client(app) as anonymous:
        pages.append(await anonymous.get("/console/connexion"))

    shown = [page for page in pages if page.status_code == 200]
    assert len(shown) == 8  # each role's own pages, and the sign-in page
    for page in pages:
        assert_strict_headers(page)
    for page in shown:
        assert not _INLINE_SCRIPT.search(page.text), page.url
        assert not _INLINE_STYLE.search(page.text), page.url
        assert "https://" not in page.text.replace('xmlns="http', "")  # nothing from elsewhere


async def test_redirects_errors_and_the_api_carry_the_headers_too(
    client: httpx.AsyncClient,
) -> None:
    for response in (
        await client.get("/console"),  # redirect to sign-in
        await client.get("/api/v1/me"),  # 401 JSON
        await client.post("/console/connexion", data={}),  # 403 CSRF
    ):
        assert_strict_headers(response)


async def test_the_stylesheet_is_served_locally(client: httpx.AsyncClient) -> None:
    response = await client.get("/console/static/console.css")

    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]
    assert "@import" not in response.text
    assert "url(" not in response.text


async def test_no_hsts_when_the_public_url_is_plain_http(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url, public_base_url="http://127.0.0.1:8000")
    async with running_app(settings) as application, http_client(application) as http:
        response = await http.get("/console/connexion")

    assert "strict-transport-security" not in response.headers
    assert response.headers["x-frame-options"] == "DENY"
