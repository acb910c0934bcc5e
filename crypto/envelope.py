"""Envelope encryption: AES-256-GCM under a keyring key, in a versioned, self-describing format.

Format of a sealed blob (version 1)::

    +---------+------------+------------------+-----------+---------------------------+
    | version | key-id len | key id (ASCII)   | nonce     | ciphertext + 16-byte tag  |
    | 1 byte  | 1 byte (n) | n bytes, 1..64   | 12 bytes  | len(plaintext) + 16 bytes |
    +---------+------------+------------------+-----------+---------------------------+

The nonce is random (96 bits from the OS). With random nonces one key should seal fewer than
2**32 messages; the tip line seals a few per tip, far below, and keys rotate anyway.

The associated data authenticated with the ciphertext is::

    header (version, key-id length, key id) | len(purpose) (2 bytes, big-endian) | purpose
    | context (UTF-8)

so a blob opens only with the same header, the same purpose and the same `context`. The context
names the row the blob belongs to (e.g. "reporter:<uuid>"): an identity copied onto another
reporter's row, or a tip text pasted into the identity column, fails to open.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto.errors import DecryptionError
from crypto.keyring import Keyring, Purpose

FORMAT_VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16


@dataclass(frozen=True)
class _Parsed:
    header: bytes
    key_id: str
    nonce: bytes
    ciphertext: bytes


def seal(keyring: Keyring, purpose: Purpose, plaintext: bytes, *, context: str) -> bytes:
    """Encrypt `plaintext` under the active key of `purpose`, bound to `context`."""
    key = keyring.active(purpose)
    header = _header(key.key_id)
    nonce = secrets.token_bytes(NONCE_BYTES)
    associated_data = _associated_data(header, purpose, context)
    ciphertext = AESGCM(key.secret).encrypt(nonce, plaintext, associated_data)
    return header + nonce + ciphertext


def open_sealed(keyring: Keyring, purpose: Purpose, blob: bytes, *, context: str) -> bytes:
    """Decrypt a blob sealed for `purpose` and `context`; DecryptionError if anything differs."""
    parsed = _parse(blob)
    key = keyring.get(purpose, parsed.key_id)  # UnknownKeyError is a DecryptionError
    associated_data = _associated_data(parsed.header, purpose, context)
    try:
        return AESGCM(key.secret).decrypt(parsed.nonce, parsed.ciphertext, associated_data)
    except InvalidTag:
        raise DecryptionError(
            f"{purpose} blob does not authenticate: tampered, or sealed for another context"
        ) from None


def seal_text(keyring: Keyring, purpose: Purpose, text: str, *, context: str) -> bytes:
    return seal(keyring, purpose, text.encode("utf-8"), context=context)


def open_text(keyring: Keyring, purpose: Purpose, blob: bytes, *, context: str) -> str:
    plaintext = open_sealed(keyring, purpose, blob, context=context)
    try:
        return plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptionError(f"{purpose} blob holds bytes, not UTF-8 text") from None


def key_id_of(blob: bytes) -> str:
    """The id of the key a blob was sealed under, read from its header (not authenticated)."""
    return _parse(blob).key_id


def sealed_prefix(key_id: str) -> bytes:
    """The first bytes of every blob sealed under ``key_id``: what a database query matches to
    find the rows still under a key (the key-rotation's catch-up) without opening them."""
    return _header(key_id)


def reseal(keyring: Keyring, purpose: Purpose, blob: bytes, *, context: str) -> bytes | None:
    """Re-encrypt under the active key, or None when the blob is already under it.

    The key-rotation job calls this on every row: None means "nothing to write". A blob already
    under the active key is not decrypted, so the job stays cheap once a rotation is done.
    """
    if key_id_of(blob) == keyring.active(purpose).key_id:
        return None
    plaintext = open_sealed(keyring, purpose, blob, context=context)
    return seal(keyring, purpose, plaintext, context=context)


def _header(key_id: str) -> bytes:
    encoded = key_id.encode("ascii")  # Key guarantees a short ASCII id
    return bytes((FORMAT_VERSION, len(encoded))) + encoded


def _associated_data(header: bytes, purpose: Purpose, context: str) -> bytes:
    if not context:
        # An empty context would let a blob move freely between rows: always a caller's bug.
        raise ValueError("a context naming the row the blob belongs to is required")
    purpose_bytes = str(purpose).encode("ascii")
    # Length prefix: keeps (purpose, context) pairs from running into each other.
    return header + len(purpose_bytes).to_bytes(2, "big") + purpose_bytes + context.encode("utf-8")


def _parse(blob: bytes) -> _Parsed:
    if len(blob) < 2:
        raise DecryptionError("sealed blob is truncated")
    version, key_id_length = blob[0], blob[1]
    if version != FORMAT_VERSION:
        raise DecryptionError(f"unsupported sealed blob version {version}")
    body_start = 2 + key_id_length
    if key_id_length == 0 or len(blob) < body_start + NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("sealed blob is truncated")
    try:
        key_id = blob[2:body_start].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("sealed blob has a malformed key id") from None
    nonce_end = body_start + NONCE_BYTES
    return _Parsed(blob[:body_start], key_id, blob[body_start:nonce_end], blob[nonce_end:])
