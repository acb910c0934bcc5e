"""Keys derived from the keyring for one use each (HKDF-SHA256): shared by every process that
holds the keyring, never stored, and one-way, so a derived key reveals nothing of its parent."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.keyring import Keyring, Purpose


def derived_key(keyring: Keyring, purpose: Purpose, label: bytes, *, length: int = 32) -> bytes:
    """A key for the use named by ``label``, from the active key of ``purpose``."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=label).derive(
        keyring.active(purpose).secret
    )
