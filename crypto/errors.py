"""Errors raised by the crypto package: one base class, one subclass per kind of failure.

Messages never carry key material, plaintext or a phone number, because they end up in logs.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base class of every error this package raises on purpose."""


class KeyringError(CryptoError):
    """The keyring (or its file) is missing, malformed, unsafe, or used inconsistently."""


class DecryptionError(CryptoError):
    """A sealed blob could not be opened: tampered, truncated, moved, or from an unknown key."""


class UnknownKeyError(DecryptionError):
    """No key with this id exists for this purpose.

    A subclass of DecryptionError so that callers opening a blob need to catch only one error.
    """


class InvalidPhoneNumber(CryptoError):
    """A phone number could not be normalised. The message never contains the number."""
