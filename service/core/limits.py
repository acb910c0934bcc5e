"""Request body limits, enforced before any handler reads the body."""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from channels.errors import PayloadTooLarge


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    """Answer 413 when a body exceeds the limit, by Content-Length or by counting what arrives."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, path_limits: Mapping[str, int] | None = None
    ) -> None:
        self._app = app
        self._max_bytes = max_bytes
        # Larger limits for a few exact paths (the citizen form's photo upload).
        self._path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        max_bytes = self._path_limits.get(scope.get("path", ""), self._max_bytes)
        html = _wants_html(scope)
        if self._declared_length(scope) > max_bytes:
            await _refuse(send, html=html)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _refuse(send, html=html)

    @staticmethod
    def _declared_length(scope: Scope) -> int:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                return int(value) if value.isdigit() else 0
        return 0


def _wants_html(scope: Scope) -> bool:
    """A browser (the citizen form) gets a page it can show; machines get JSON."""
    for name, value in scope.get("headers", []):
        if name == b"accept":
            return b"text/html" in value
    return False


_HTML_REFUSAL = (
    '<!doctype html><html lang="fr"><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>Envoi trop volumineux</title><h1>Envoi trop volumineux</h1>"
    "<p>Votre envoi dépasse la taille permise et n'a pas été enregistré. "
    "Revenez en arrière et joignez une photo plus légère, ou aucune.</p>"
    '<p lang="en">Too large: nothing was saved. Go back and attach a smaller photo, or none.</p>'
    '<p><a href="/">Retour au formulaire</a></p></html>'
)


async def _refuse(send: Send, *, html: bool = False) -> None:
    if html:
        body = _HTML_REFUSAL.encode()
        content_type = b"text/html; charset=utf-8"
    else:
        body = json.dumps(
            {"error": PayloadTooLarge.code, "message": PayloadTooLarge.message},
            ensure_ascii=False,
        ).encode()
        content_type = b"application/json"
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
