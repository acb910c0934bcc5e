"""Provider ids (Twilio's MessageSid, CallSid, MediaSid, RecordingSid) as a keyed hash.

Twilio's logs hold, under each id, the number that sent the message or made the call. A plain
id stored here would let anyone holding a database dump and Twilio's records (a subpoena, a
leaked account, a Twilio employee) find the number behind a tip. Only HMAC-SHA256(provider-id
key, "provider:" + id) is stored: enough to recognise a provider's retry or a status callback
(it brings the plain id, we hash it again), and nothing without the key.

The same key also gives a provider's message its tip reference (``provider_reference``): every
API process computes the same one for a MessageSid or CallSid without asking the database, so a
message answered from the spool during an outage, by two processes, or retried after it, is
answered with the reference its tip is stored under. A keyed hash (another domain than the
stored one), so a reference cannot be guessed from the id, nor the id from the reference. Should
the reference be taken by another tip, ``redraw`` 1, 2… gives the next candidates.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections.abc import Iterator

from crypto.codes import keyed_reference
from crypto.keyring import Key, Keyring, Purpose

__all__ = ["provider_id_hash", "provider_id_hashes", "provider_reference"]

_DOMAIN = b"provider:"
_REFERENCE_DOMAIN = b"reference:"


def provider_id_hash(keyring: Keyring, provider_id: str) -> str:
    """Hex HMAC of the id under the active provider-id key: the value written on new rows."""
    return _hash_under(keyring.active(Purpose.PROVIDER_ID), provider_id)


def provider_id_hashes(keyring: Keyring, provider_id: str) -> tuple[str, ...]:
    """The id's hash under every provider-id key, active first: look-ups span a key rotation."""
    return tuple(_hash_under(key, provider_id) for key in keyring.keys(Purpose.PROVIDER_ID))


def _hash_under(key: Key, provider_id: str) -> str:
    return hmac.new(key.secret, _DOMAIN + provider_id.encode("utf-8"), hashlib.sha256).hexdigest()


def provider_reference(keyring: Keyring, provider_id: str, redraw: int = 0) -> str:
    """The tip reference of a provider's message ("OCS-XXXX-XXXX"), the same in every process
    holding the keyring; ``redraw`` n > 0 gives the n-th alternative when it is taken."""
    return keyed_reference(
        _reference_stream(keyring.active(Purpose.PROVIDER_ID), provider_id, redraw)
    )


def _reference_stream(key: Key, provider_id: str, redraw: int) -> Iterator[bytes]:
    message = provider_id.encode("utf-8")
    for block in itertools.count():
        label = _REFERENCE_DOMAIN + b"%d:%d:" % (redraw, block)
        yield hmac.new(key.secret, label + message, hashlib.sha256).digest()
