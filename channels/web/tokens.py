"""Signed tokens for the citizen pages: no server session, nothing stored.

Form tokens (CSRF, signed double submit): the browser holds a random nonce in a SameSite=Strict
cookie; each form carries ``<form id>.<expiry>.<HMAC(key, purpose, nonce, form id, expiry)>``.
A cross-site page can neither read the token nor make the browser send the cookie, and a token
is worthless with another browser's cookie. The form id doubles as the submission's idempotency
key, so a double click or a reload files one tip, not two.

Access tokens: after reference + receipt code were accepted, the mailbox page carries
``<expiry>.<HMAC(key, "access", nonce, reference, expiry)>`` so the citizen can answer without
typing the code again; it is bound to the same cookie and expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

FORM_COOKIE = "ocs_formulaire"
TOKEN_FIELD = "jeton"
ACCESS_FIELD = "acces"


def new_browser_nonce() -> str:
    return secrets.token_urlsafe(18)


class PageTokens:
    def __init__(self, *, key: bytes, form_lifetime: timedelta, access_lifetime: timedelta) -> None:
        self._key = key
        self._form_lifetime = form_lifetime
        self._access_lifetime = access_lifetime

    def form_token(self, *, nonce: str, purpose: str, now: datetime) -> str:
        form_id = secrets.token_urlsafe(12)
        expires = int((now + self._form_lifetime).timestamp())
        return f"{form_id}.{expires}.{self._mac(purpose, nonce, form_id, str(expires))}"

    def check_form_token(
        self, token: str | None, *, nonce: str | None, purpose: str, now: datetime
    ) -> str | None:
        """The form id when the token is genuine, unexpired and bound to this cookie."""
        if not token or not nonce or token.count(".") != 2:
            return None
        form_id, expires, mac = token.split(".")
        if not expires.isdigit() or int(expires) < now.timestamp():
            return None
        expected = self._mac(purpose, nonce, form_id, expires)
        return form_id if hmac.compare_digest(mac, expected) else None

    def access_token(self, *, nonce: str, reference: str, now: datetime) -> str:
        expires = int((now + self._access_lifetime).timestamp())
        return f"{expires}.{self._mac('access', nonce, reference, str(expires))}"

    def check_access_token(
        self, token: str | None, *, nonce: str | None, reference: str, now: datetime
    ) -> bool:
        if not token or not nonce or token.count(".") != 1:
            return False
        expires, mac = token.split(".")
        if not expires.isdigit() or int(expires) < now.timestamp():
            return False
        return hmac.compare_digest(mac, self._mac("access", nonce, reference, expires))

    def _mac(self, *parts: str) -> str:
        # Unit separators keep the parts from running into each other.
        message = "\x1f".join(parts).encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")
