"""Phone numbers: normalisation to E.164, and the keyed blind index used to thread conversations.

The database never holds a phone number in clear. To recognise that a new SMS comes from a
reporter already known, intake computes HMAC-SHA256(index key, "phone:" + E.164 number) and
looks that up. Without the index key (which never lives in the database) the index cannot be
reversed by trying the few hundred million possible Malian numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from crypto.errors import InvalidPhoneNumber
from crypto.keyring import Key, Keyring, Purpose

__all__ = ["InvalidPhoneNumber", "blind_index", "blind_indexes", "normalise_phone"]

MALI_COUNTRY_CODE = "223"
MALI_NATIONAL_DIGITS = 8
MIN_DIGITS, MAX_DIGITS = 8, 15  # E.164 allows at most 15 digits, country code included
# Domain separation: the index key could one day serve another kind of index (e.g. email).
_PHONE_DOMAIN = b"phone:"
_CHANNEL_PREFIXES = ("whatsapp:", "sms:", "tel:")
_SEPARATORS = re.compile(r"[\s.\-()/]")
_DIGITS = re.compile(r"[0-9]+")


def normalise_phone(raw: str) -> str:
    """Return the E.164 form ("+223" and 8 digits) of a number as a channel or citizen wrote it.

    A bare 8-digit number is Malian. A number written with "+" or "00" keeps its country code;
    one written with only digits (as some gateways send it) is read as country code + number.
    """
    number = _SEPARATORS.sub("", _strip_channel_prefix(raw.strip()))
    if number.startswith("+"):
        digits = number[1:]
    elif number.startswith("00"):
        digits = number[2:]
    elif len(number) == MALI_NATIONAL_DIGITS:
        digits = MALI_COUNTRY_CODE + number
    else:
        digits = number
    _check_digits(digits)
    return "+" + digits


def blind_index(keyring: Keyring, phone_e164: str) -> str:
    """Hex HMAC of the number under the active index key: the value written on new rows."""
    return _index_under(keyring.active(Purpose.INDEX), _checked_e164(phone_e164))


def blind_indexes(keyring: Keyring, phone_e164: str) -> tuple[str, ...]:
    """The number's index under every index key, active first: look-ups span a key rotation."""
    phone = _checked_e164(phone_e164)
    return tuple(_index_under(key, phone) for key in keyring.keys(Purpose.INDEX))


def _strip_channel_prefix(text: str) -> str:
    lowered = text.lower()
    for prefix in _CHANNEL_PREFIXES:
        if lowered.startswith(prefix):
            return text[len(prefix) :].strip()
    return text


def _check_digits(digits: str) -> None:
    # Messages describe the problem, never the input: they may reach a log or an HTTP response.
    if not digits:
        raise InvalidPhoneNumber("phone number is empty")
    if not _DIGITS.fullmatch(digits):
        raise InvalidPhoneNumber("phone number contains characters other than digits")
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise InvalidPhoneNumber(f"phone number must have {MIN_DIGITS} to {MAX_DIGITS} digits")
    if digits.startswith("0"):
        raise InvalidPhoneNumber("phone number has no valid country code")
    if digits.startswith(MALI_COUNTRY_CODE) and len(digits) != 3 + MALI_NATIONAL_DIGITS:
        raise InvalidPhoneNumber(f"a Malian number has {MALI_NATIONAL_DIGITS} digits after +223")


def _checked_e164(phone: str) -> str:
    """Refuse un-normalised input: indexing "76 12 34 56" would silently miss the thread."""
    if not phone.startswith("+") or normalise_phone(phone) != phone:
        raise InvalidPhoneNumber("blind index needs a number normalised with normalise_phone")
    return phone


def _index_under(key: Key, phone_e164: str) -> str:
    message = _PHONE_DOMAIN + phone_e164.encode("ascii")
    return hmac.new(key.secret, message, hashlib.sha256).hexdigest()
