"""Rendering the citizen pages: French first, English and Bambara labels where the catalogue has
them, no script, nothing from another site, nothing cached, no referrer sent anywhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from channels.templating import environment
from channels.web.attempts import FollowUpAttempts
from channels.web.places import PlaceGroup
from channels.web.tokens import FORM_COOKIE, PageTokens, new_browser_nonce

STATIC_DIR = Path(__file__).parent / "static"

# Styles from this site only, no script at all, forms post only here, never framed.
_SECURITY_HEADERS = {
    "Content-Security-Policy": "; ".join(
        [
            "default-src 'none'",
            "style-src 'self'",
            "img-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # The receipt code and officers' questions must not linger in a shared phone's cache.
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}


@dataclass(frozen=True)
class WebConfig:
    tokens: PageTokens
    attempts: FollowUpAttempts
    places: tuple[PlaceGroup, ...]
    secure_cookies: bool
    photo_max_bytes: int
    upload_max_bytes: int


def web_config(request: Request) -> WebConfig:
    config: WebConfig = request.app.state.web_config
    return config


@dataclass
class Browser:
    """The browser's form nonce (from its cookie, or new and to be set with this response)."""

    nonce: str
    is_new: bool


def browser_of(request: Request) -> Browser:
    nonce = request.cookies.get(FORM_COOKIE)
    if nonce and 16 <= len(nonce) <= 64:
        return Browser(nonce, False)
    return Browser(new_browser_nonce(), True)


def now() -> datetime:
    return datetime.now(UTC)


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    browser: Browser,
    status_code: int = 200,
) -> HTMLResponse:
    html = environment.get_template(template).render(context)
    response = HTMLResponse(html, status_code=status_code, headers=_SECURITY_HEADERS)
    if browser.is_new:
        response.set_cookie(
            FORM_COOKIE,
            browser.nonce,
            path="/",
            secure=web_config(request).secure_cookies,
            httponly=True,
            samesite="strict",
        )
    return response
