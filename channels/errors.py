"""The one error base class. Expected errors are 4xx with a clear message that echoes no input."""

from __future__ import annotations


class TiplineError(Exception):
    status_code = 400
    code = "bad_request"
    message = "Requête invalide."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        if message is not None:
            self.message = message


class BadSignature(TiplineError):
    status_code = 403
    code = "bad_signature"
    message = "Signature Twilio absente ou invalide."


class Forbidden(TiplineError):
    status_code = 403
    code = "forbidden"
    message = "Accès refusé."


class NotFound(TiplineError):
    status_code = 404
    code = "not_found"
    message = "Introuvable."


class PayloadTooLarge(TiplineError):
    status_code = 413
    code = "payload_too_large"
    message = "Requête trop volumineuse."


class MalformedRequest(TiplineError):
    status_code = 422
    code = "malformed_request"
    message = "Formulaire incomplet ou mal formé."


class ChannelNotConfigured(TiplineError):
    status_code = 503
    code = "channel_not_configured"
    message = "Ce canal n'est pas configuré."


class RateLimited(TiplineError):
    status_code = 429
    code = "rate_limited"
    message = "Trop de requêtes en peu de temps. Réessayez dans quelques minutes."
