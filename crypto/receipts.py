"""Receipt codes are stored only as Argon2id hashes, like passwords.

Production parameters: time_cost=2, memory_cost=19 MiB, parallelism=1 (OWASP's recommended
minimum for Argon2id). One verification takes about 27 ms on one core of the 2-core reference
machine, inside the 50 ms budget even when both cores are busy with other requests. Parallelism 1
because on two cores a second lane would only take the core away from a concurrent request, and
19 MiB per verification keeps a burst of twenty web follow-ups under 400 MiB.

The parameters are recorded in each hash, so a hash made with other parameters (the cheap test
ones, or older production ones) still verifies; `receipt_hash_needs_update` tells when to re-hash.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from crypto.codes import normalise_receipt_code

PRODUCTION_HASHER = PasswordHasher(
    time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID
)
# Argon2's minimum cost: for test suites that hash hundreds of codes. Never in production.
TEST_HASHER = PasswordHasher(
    time_cost=1, memory_cost=8, parallelism=1, hash_len=32, salt_len=16, type=Type.ID
)

_hasher = PRODUCTION_HASHER


def configure_for_tests() -> None:
    """Switch this process to the cheapest Argon2 parameters (call from a test fixture)."""
    global _hasher  # one process-wide switch, set once by test set-up
    _hasher = TEST_HASHER


def configure_for_production() -> None:
    """Switch back to the production parameters (the default)."""
    global _hasher
    _hasher = PRODUCTION_HASHER


def hash_receipt_code(code: str) -> str:
    """Argon2id hash of the canonical form of a receipt code (ValueError if it is not one)."""
    canonical = normalise_receipt_code(code)
    if canonical is None:
        raise ValueError("not a receipt code")
    return _hasher.hash(canonical)


def verify_receipt_code(stored_hash: str, code: str) -> bool:
    """True if `code` (as a citizen typed it) matches the hash; never raises for a wrong code."""
    canonical = normalise_receipt_code(code)
    if canonical is None:
        return False
    try:
        return _hasher.verify(stored_hash, canonical)
    except (VerificationError, InvalidHashError):
        return False


def receipt_hash_needs_update(stored_hash: str) -> bool:
    """True if the hash was made with other parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
