"""TOTP second factor: secrets sealed per account, codes accepted once (no replay)."""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime

import pyotp
import segno
from sqlalchemy.ext.asyncio import AsyncSession

from crypto import Keyring, Purpose, open_text, seal_text
from service.models import TotpUse

ISSUER = "OCS Tipline"
# One step either side absorbs a phone clock that is up to 30 s off.
_DRIFT_STEPS = 1


def totp_context(user_id: uuid.UUID) -> str:
    return f"totp:{user_id}"


def pending_totp_context(session_id: uuid.UUID) -> str:
    return f"totp-pending:{session_id}"


def new_totp_secret() -> str:
    return pyotp.random_base32()


def seal_secret(keyring: Keyring, secret: str, *, context: str) -> bytes:
    return seal_text(keyring, Purpose.CONTENT, secret, context=context)


def open_secret(keyring: Keyring, sealed: bytes, *, context: str) -> str:
    return open_text(keyring, Purpose.CONTENT, sealed, context=context)


def matching_step(secret: str, code: str, *, now: datetime, after: int | None) -> int | None:
    """The time step ``code`` belongs to, if valid and later than step ``after``."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - _DRIFT_STEPS, current + _DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def last_step(*, session: AsyncSession, user_id: uuid.UUID) -> int | None:
    use = await session.get(TotpUse, user_id)
    return use.last_step if use is not None else None


async def remember_step(*, session: AsyncSession, user_id: uuid.UUID, step: int) -> None:
    use = await session.get(TotpUse, user_id)
    if use is None:
        session.add(TotpUse(user_id=user_id, last_step=step))
    else:
        use.last_step = step
        session.add(use)


async def forget_steps(*, session: AsyncSession, user_id: uuid.UUID) -> None:
    use = await session.get(TotpUse, user_id)
    if use is not None:
        await session.delete(use)


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG, drawn here: no image request leaves the page."""
    return str(
        segno.make(uri, error="m").svg_inline(
            scale=5, svgclass="qr-code", lineclass=None, title="QR code TOTP"
        )
    )


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an authenticator app."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
