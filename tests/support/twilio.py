"""Inbound Twilio webhooks, signed exactly as Twilio signs them."""

from __future__ import annotations

import itertools

from twilio.request_validator import RequestValidator

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "0" * 32
PUBLIC_BASE_URL = "https://tipline.example.org"

_sids = itertools.count(1)


def new_message_sid() -> str:
    return f"SM{next(_sids):032x}"


def sms_form(*, sender: str, body: str, message_sid: str | None = None) -> dict[str, str]:
    """The fields Twilio posts for an inbound SMS, including the location ones we must drop."""
    sid = message_sid or new_message_sid()
    return {
        "ToCountry": "ML",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "SIKASSO",
        "Body": body,
        "FromCountry": "ML",
        "To": "+22380000000",
        "MessagingServiceSid": "",
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


def signature(path: str, form: dict[str, str], *, token: str = AUTH_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(PUBLIC_BASE_URL + path, form))
