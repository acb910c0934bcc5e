"""Staff passwords: Argon2id hashing off the event loop, and the rules a new password follows."""

from __future__ import annotations

import asyncio
import secrets

from argon2.exceptions import InvalidHashError, VerificationError

from crypto import new_one_time_password
from service.staff.accounts import password_hasher

MIN_LENGTH = 12
MAX_LENGTH = 128
# Verified when the username is unknown, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = password_hasher.hash(secrets.token_urlsafe(16))


async def verify_password(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(_verify, password_hash or _DUMMY_HASH, password)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(password_hasher.hash, password)


def needs_rehash(password_hash: str) -> bool:
    return password_hasher.check_needs_rehash(password_hash)


def one_time_password() -> str:
    """Read out or copied by hand to a new officer: no 0/O or 1/l to confuse."""
    return new_one_time_password()


def password_problem(new: str, confirmation: str, *, username: str) -> str | None:
    """The catalogue key explaining why ``new`` is refused, or None."""
    if new != confirmation:
        return "console.password.mismatch"
    if not MIN_LENGTH <= len(new) <= MAX_LENGTH:
        return "console.password.length"
    if username.lower() in new.lower():
        return "console.password.contains_username"
    return None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
