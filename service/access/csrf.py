"""CSRF protection for every unsafe request to the console and the API.

The token is an HMAC keyed by the browser's session id (or, before sign-in, by a random
pre-session cookie), so nothing is stored and a new session id gives a new token. A cross-site
page can neither read the token nor, with SameSite=Strict cookies, make the browser send the key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request
from starlette.responses import Response

from channels.errors import Forbidden
from service.staff.sessions import SESSION_COOKIE

CSRF_COOKIE = "tipline_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfRefused(Forbidden):
    code = "csrf_refused"
    message = "Jeton de sécurité absent ou invalide. Rechargez la page et recommencez."


def csrf_token(request: Request) -> str:
    """The token forms and scripts send back; creates the pre-session cookie when needed."""
    key = _token_key(request)
    if key is None:
        key = secrets.token_urlsafe(32)
        request.state.new_csrf_cookie = key
    return csrf_token_for(key)


async def csrf_protect(request: Request) -> None:
    """Refuse an unsafe request whose token is missing or does not match (403, nothing done)."""
    if request.method in SAFE_METHODS:
        return
    key = _token_key(request)
    sent = request.headers.get(CSRF_HEADER) or await _form_token(request)
    if key is None or not sent or not hmac.compare_digest(sent, csrf_token_for(key)):
        raise CsrfRefused()


def attach_csrf_cookie(request: Request, response: Response) -> None:
    """Set the pre-session cookie that ``csrf_token`` created while rendering, if any."""
    key: str | None = getattr(request.state, "new_csrf_cookie", None)
    if key is None:
        return
    settings = request.app.state.settings
    response.set_cookie(
        CSRF_COOKIE,
        key,
        path="/",
        secure=settings.public_base_url.startswith("https://"),
        httponly=True,
        samesite="strict",
    )


def _token_key(request: Request) -> str | None:
    override: str | None = getattr(request.state, "csrf_key", None)
    return override or request.cookies.get(SESSION_COOKIE) or request.cookies.get(CSRF_COOKIE)


def use_session_key(request: Request, session_token: str) -> None:
    """After a response sets a new session cookie, tokens rendered now must match it."""
    request.state.csrf_key = session_token


def csrf_token_for(key: str) -> str:
    """The token that goes with a session id (or pre-session cookie) ``key``."""
    return hmac.new(key.encode(), b"tipline-csrf-v1", hashlib.sha256).hexdigest()


async def _form_token(request: Request) -> str | None:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(_FORM_TYPES):
        return None
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else None
