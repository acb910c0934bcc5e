"""Provider ids (Twilio's MessageSid, CallSid, MediaSid, RecordingSid) as a keyed hash.

Twilio's logs hold, under each id, the number that sent the message or made the call. A plain
id stored here would let anyone holding a database dump and Twilio's records (a subpoena, a
leaked account, a Twilio employee) find the number behind a tip. Only HMAC-SHA256(provider-id
key, "provider:" + id) is stored: enough to recognise a provider's retry or a status callback
(it brings the plain id, we hash it again), and nothing without the key.
"""

from __future__ import annotations

import hashlib
import hmac

from crypto.keyring import Key, Keyring, Purpose

__all__ = ["provider_id_hash", "provider_id_hashes"]

_DOMAIN = b"provider:"


def provider_id_hash(keyring: Keyring, provider_id: str) -> str:
    """Hex HMAC of the id under the active provider-id key: the value written on new rows."""
    return _hash_under(keyring.active(Purpose.PROVIDER_ID), provider_id)


def provider_id_hashes(keyring: Keyring, provider_id: str) -> tuple[str, ...]:
    """The id's hash under every provider-id key, active first: look-ups span a key rotation."""
    return tuple(_hash_under(key, provider_id) for key in keyring.keys(Purpose.PROVIDER_ID))


def _hash_under(key: Key, provider_id: str) -> str:
    return hmac.new(key.secret, _DOMAIN + provider_id.encode("utf-8"), hashlib.sha256).hexdigest()
