"""Human codes: tip references, receipt codes and source pseudonyms.

All of them use one alphabet of 30 characters chosen to be read aloud on a poor phone line and
copied by hand: digits 2-9 and upper-case letters, without 0/O, 1/I/L (mistaken for each other)
and U (mistaken for V). A character outside the alphabet can therefore never be mapped onto it
unambiguously ("0" could have meant O, D or Q): normalisation refuses it, and the reference's check
character catches most remaining slips before any look-up.

Reference "OCS-XXXX-XXXX": 7 random characters then 1 check character.
    The check is a weighted sum modulo 31. With v1..v8 the alphabet positions (0..29) of the eight
    characters, a reference is valid when  1*v1 + 2*v2 + ... + 8*v8 = 0 (mod 31).
    - A single substitution at position i changes the sum by i*d with 0 < |d| < 30 and 0 < i < 9;
      31 is prime and divides neither factor, so the sum leaves 0: caught.
    - Swapping neighbours at positions i, i+1 changes the sum by (vi - vi+1), non-zero unless the
      two characters were equal (then nothing changed): caught, the check character included.
    Why 31 and not 30: no weighted sum modulo 30 catches every adjacent swap (weights and their
    differences would all have to be odd and prime to 30, impossible). The check value 30 has no
    character, so new_reference draws again when a draw would need it (1 draw in 31).
    Entropy: 30**7 * 30/31 = 2.1e10 valid references, about 34 bits; the database must still
    enforce uniqueness (draw again on conflict).
    A provider's message gets its reference from a keyed hash of the provider's id instead of
    the system's CSPRNG (``keyed_reference``, see provider_ids.py): the same characters, the same
    check, drawn from a stream nobody can compute without the key.

Receipt code "XXXX-XXXX": 8 random characters, 30**8 = 6.6e11 codes, about 39.3 bits. It proves a
    citizen holds a tip (to add details on the web) and is stored only as an Argon2id hash; with
    per-attempt rate limiting online guessing is hopeless, and offline guessing of one stolen hash
    costs about 30**8 / 2 = 3.3e11 Argon2 evaluations, some 300 CPU-core-years at the production
    parameters (see receipts.py).

Pseudonym "SRC-XXXXXX": 6 random characters, 7.3e8 values: a label officers can say aloud, not a
    secret. Uniqueness is the database's job (draw again on conflict); with four characters (810 000
    values) a few thousand sources already made clashes common, each costing intake a retry.
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Iterator

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PREFIX = "OCS"
PSEUDONYM_PREFIX = "SRC"
# Bytes at or above this would make the first 16 characters more likely than the rest.
_BYTE_LIMIT = 256 - 256 % len(ALPHABET)
_CHECK_MODULUS = 31  # prime, one more than the alphabet size: see the module docstring
_REFERENCE_PAYLOAD = 7
_RECEIPT_LENGTH = 8
_PSEUDONYM_LENGTH = 6
_VALUE = {char: value for value, char in enumerate(ALPHABET)}
# What citizens type between the characters: spaces, dashes, dots, underscores, slashes.
_SEPARATORS = re.compile(r"[\s\-._/]")


def new_reference() -> str:
    """A fresh tip reference such as "OCS-7K4M-Q2XH"; the last character is the check."""
    while True:
        payload = _random_chars(_REFERENCE_PAYLOAD)
        check = _check_value(payload)
        if check < len(ALPHABET):
            return _format_reference(payload + ALPHABET[check])


def keyed_reference(blocks: Iterator[bytes]) -> str:
    """The reference drawn from a keyed pseudo-random byte stream, as ``new_reference`` draws
    from the CSPRNG (same rejection of biased bytes, same check): one stream, one reference."""
    chars = (ALPHABET[b % len(ALPHABET)] for block in blocks for b in block if b < _BYTE_LIMIT)
    while True:
        payload = "".join(itertools.islice(chars, _REFERENCE_PAYLOAD))
        check = _check_value(payload)
        if check < len(ALPHABET):
            return _format_reference(payload + ALPHABET[check])


def normalise_reference(text: str) -> str | None:
    """The canonical reference for what a citizen typed, or None if it is not a valid reference.

    Tolerates lower case, spaces or dots instead of dashes, missing dashes and a missing (or
    "0CS"-typed) prefix. The check character must match.
    """
    body = _SEPARATORS.sub("", text).upper()
    total = len(REFERENCE_PREFIX) + _REFERENCE_PAYLOAD + 1
    if len(body) == total and body[:3] in (REFERENCE_PREFIX, "0CS"):
        body = body[3:]
    if len(body) != _REFERENCE_PAYLOAD + 1 or not _in_alphabet(body):
        return None
    if _weighted_sum(body) % _CHECK_MODULUS != 0:
        return None
    return _format_reference(body)


def new_receipt_code() -> str:
    """A fresh receipt code such as "7K4M-Q2XH" (about 39 bits, see the module docstring)."""
    return _format_receipt(_random_chars(_RECEIPT_LENGTH))


def normalise_receipt_code(text: str) -> str | None:
    """The canonical receipt code for what a citizen typed, or None if it cannot be one."""
    body = _SEPARATORS.sub("", text).upper()
    if len(body) != _RECEIPT_LENGTH or not _in_alphabet(body):
        return None
    return _format_receipt(body)


def new_one_time_password() -> str:
    """A staff account's first password, read out or copied by hand: "7K4M-Q2XH-9PWD-3TFA",
    16 characters of the alphabet without 0/O, 1/I/L or U (about 78 bits)."""
    chars = _random_chars(16)
    return "-".join(chars[start : start + 4] for start in range(0, 16, 4))


def new_pseudonym() -> str:
    """A fresh source pseudonym such as "SRC-7Q4KXM"."""
    return f"{PSEUDONYM_PREFIX}-{_random_chars(_PSEUDONYM_LENGTH)}"


def _random_chars(count: int) -> str:
    """Uniform over the alphabet, from one read of the system's CSPRNG rather than one per
    character: a byte is kept only below the largest multiple of 30 (rejection, no modulo bias)."""
    chars: list[str] = []
    while len(chars) < count:
        chars += [
            ALPHABET[b % len(ALPHABET)] for b in secrets.token_bytes(2 * count) if b < _BYTE_LIMIT
        ]
    return "".join(chars[:count])


def _in_alphabet(text: str) -> bool:
    return all(char in _VALUE for char in text)


def _weighted_sum(chars: str) -> int:
    return sum(weight * _VALUE[char] for weight, char in enumerate(chars, start=1))


def _check_value(payload: str) -> int:
    """The value v8 making the weighted sum of payload + v8 a multiple of the modulus."""
    weight = len(payload) + 1
    inverse = pow(weight, -1, _CHECK_MODULUS)
    return (-_weighted_sum(payload) * inverse) % _CHECK_MODULUS


def _format_reference(body: str) -> str:
    return f"{REFERENCE_PREFIX}-{body[:4]}-{body[4:]}"


def _format_receipt(body: str) -> str:
    return f"{body[:4]}-{body[4:]}"
