"""Twilio webhook intake: a signed form in, or a clear 4xx/503 out.

The signature is computed by Twilio over the URL it called, so it is checked against the public
base URL plus the raw path and query, never ``request.url`` (wrong behind a reverse proxy).
The form's ``AccountSid`` must be the configured account's: a request signed with our token but
naming another account is not Twilio calling about ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from twilio.request_validator import RequestValidator

from channels.errors import BadSignature, ChannelNotConfigured, MalformedRequest
from channels.ports import IntakePort

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


# The dependencies are ``async`` although they only read app state: FastAPI runs a plain ``def``
# dependency in its thread pool, a thread hand-off per webhook.


@dataclass(frozen=True)
class TwilioWebhookConfig:
    auth_token: str | None
    public_base_url: str
    account_sid: str | None = None


async def twilio_webhook_config(request: Request) -> TwilioWebhookConfig:
    config: TwilioWebhookConfig = request.app.state.twilio_webhook_config
    return config


async def intake_port(request: Request) -> IntakePort:
    intake: IntakePort = request.app.state.intake
    return intake


async def signed_twilio_form(
    request: Request, config: Annotated[TwilioWebhookConfig, Depends(twilio_webhook_config)]
) -> dict[str, str]:
    """The webhook's form fields, as received (blanks kept), once the signature holds."""
    if not config.auth_token:
        raise ChannelNotConfigured()
    form = await _parse_form(request)
    signature = request.headers.get("X-Twilio-Signature", "")
    url = _public_url(config.public_base_url, request)
    if not signature or not RequestValidator(config.auth_token).validate(url, form, signature):
        raise BadSignature()
    if config.account_sid is not None and form.get("AccountSid") != config.account_sid:
        raise BadSignature()
    return form


def required(form: dict[str, str], *names: str) -> list[str]:
    missing = [name for name in names if name not in form]
    if missing:
        raise MalformedRequest(f"Champs manquants : {', '.join(missing)}.")
    return [form[name] for name in names]


async def _parse_form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_CONTENT_TYPE:
        raise MalformedRequest(
            "Le corps doit être un formulaire application/x-www-form-urlencoded."
        )
    try:
        text = (await request.body()).decode("utf-8")
        return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedRequest() from error


def _public_url(public_base_url: str, request: Request) -> str:
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    query: bytes = request.scope.get("query_string", b"")
    url = public_base_url.rstrip("/") + raw_path.decode("latin-1")
    return f"{url}?{query.decode('latin-1')}" if query else url
