"""Security headers on every console and API response, redirects and errors included; HSTS on
every response of the service when it is served over https."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline script or style, nothing from another site, no framing, forms post only here.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
_PROTECTED_PREFIXES = ("/console", "/api/v1")
# A year, subdomains included: after one visit a browser never tries plain http again, so a
# network in the middle cannot strip TLS from the citizen's form or the console.
HSTS = "max-age=31536000; includeSubDomains"
_STATIC_PREFIX = "/console/static/"


def _protected(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in _PROTECTED_PREFIXES)


class ConsoleSecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _protected(scope["path"]):
            await self._app(scope, receive, send)
            return
        static = scope["path"].startswith(_STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add_headers(MutableHeaders(scope=message), static=static)
            await send(message)

        await self._app(scope, receive, send_with_headers)

    def _add_headers(self, headers: MutableHeaders, *, static: bool) -> None:
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        # Pages show tips; no copy may linger in a shared computer's cache. The stylesheet may.
        headers["Cache-Control"] = "private, max-age=300" if static else "no-store"


class StrictTransportSecurity:
    """HSTS on every response (citizen pages, webhooks, errors, health) when served over https."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Strict-Transport-Security"] = HSTS
            await send(message)

        await self._app(scope, receive, send_with_hsts)
