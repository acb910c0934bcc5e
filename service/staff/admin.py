"""Account administration, shared by the admin pages and the API; every change is audited."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from channels.errors import MalformedRequest, NotFound
from service.core.audit import record_audit
from service.models import Antenna, Role, StaffUser
from service.staff import passwords, sessions, totp

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class AccountRefused(MalformedRequest):
    message = "Modification du compte refusée."


@dataclass(frozen=True)
class NewPassword:
    user: StaffUser
    one_time_password: str


async def list_accounts(*, session: AsyncSession) -> list[StaffUser]:
    return list((await session.scalars(select(StaffUser).order_by(col(StaffUser.username)))).all())


async def get_account(*, session: AsyncSession, user_id: uuid.UUID) -> StaffUser:
    user = await session.get(StaffUser, user_id)
    if user is None:
        raise NotFound("Compte introuvable.")
    return user


async def create_account(
    *, session: AsyncSession, actor: StaffUser, username: str, role: Role, antenna: str | None
) -> NewPassword:
    antenna = antenna or None
    if not USERNAME.match(username):
        raise AccountRefused(
            "Identifiant : 2 à 64 caractères, minuscules, chiffres, point, tiret ou souligné."
        )
    await _check_assignment(session, role, antenna)
    if (
        await session.scalars(select(StaffUser).where(col(StaffUser.username) == username))
    ).first():
        raise AccountRefused("Cet identifiant existe déjà.")
    password = passwords.one_time_password()
    # Hashed off the event loop (Argon2id is deliberately slow), hence not the helper of
    # service.staff.accounts.
    user = StaffUser(
        username=username,
        role=role,
        antenna_code=antenna,
        password_hash=await passwords.hash_password(password),
    )
    session.add(user)
    await session.flush()
    await _audit(session, actor, "user_created", user, role=str(role), antenna=antenna or "-")
    return NewPassword(user, password)


async def change_role(
    *,
    session: AsyncSession,
    actor: StaffUser,
    user: StaffUser,
    role: Role,
    antenna: str | None,
) -> None:
    antenna = antenna or None
    await _check_assignment(session, role, antenna)
    if user.id == actor.id and role is not Role.ADMIN:
        raise AccountRefused("Un administrateur ne peut pas retirer son propre rôle.")
    before = f"{user.role}/{user.antenna_code or '-'}"
    user.role, user.antenna_code = role, antenna
    session.add(user)
    await _audit(
        session, actor, "user_role_changed", user, before=before, after=f"{role}/{antenna or '-'}"
    )


async def set_disabled(
    *, session: AsyncSession, actor: StaffUser, user: StaffUser, disabled: bool
) -> None:
    if disabled and user.id == actor.id:
        raise AccountRefused("Un administrateur ne peut pas désactiver son propre compte.")
    user.disabled = disabled
    if not disabled:  # re-enabling also lifts a lock-out
        user.failed_sign_ins, user.locked_until = 0, None
    session.add(user)
    if disabled:
        await sessions.close_sessions_of(session=session, user_id=user.id)
    await _audit(session, actor, "user_disabled" if disabled else "user_enabled", user)


async def reset_totp(*, session: AsyncSession, actor: StaffUser, user: StaffUser) -> None:
    """The person enrols again at their next sign-in (a lost phone)."""
    user.totp_secret_ciphertext = None
    session.add(user)
    await totp.forget_steps(session=session, user_id=user.id)
    await sessions.close_sessions_of(session=session, user_id=user.id)
    await _audit(session, actor, "user_totp_reset", user)


async def reset_password(
    *, session: AsyncSession, actor: StaffUser, user: StaffUser
) -> NewPassword:
    password = passwords.one_time_password()
    user.password_hash = await passwords.hash_password(password)
    user.must_change_password = True
    user.failed_sign_ins, user.locked_until = 0, None
    session.add(user)
    await sessions.close_sessions_of(session=session, user_id=user.id)
    await _audit(session, actor, "user_password_reset", user)
    return NewPassword(user, password)


async def _check_assignment(session: AsyncSession, role: Role, antenna: str | None) -> None:
    if (role is Role.ANTENNA_CHIEF) != (antenna is not None):
        raise AccountRefused("Une antenne est requise pour un chef d'antenne, et pour lui seul.")
    if antenna is not None and await session.get(Antenna, antenna) is None:
        raise AccountRefused("Antenne inconnue.")


async def _audit(
    session: AsyncSession, actor: StaffUser, action: str, user: StaffUser, **details: str
) -> None:
    await record_audit(
        session=session,
        actor=actor,
        action=action,
        target=f"staff:{user.username}",
        details=details,
    )
