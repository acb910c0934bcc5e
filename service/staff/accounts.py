"""Staff accounts: creation and password hashing (Argon2id)."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from service.core.db import create_engine, create_sessionmaker, transaction
from service.models import Antenna, Role, StaffUser
from service.settings import Settings

password_hasher = PasswordHasher()


class StaffError(Exception):
    pass


async def add_staff_user(
    *, session: AsyncSession, username: str, role: Role, antenna: str | None, password: str
) -> StaffUser:
    if (role is Role.ANTENNA_CHIEF) != (antenna is not None):
        raise StaffError("--antenna est requis pour un chef d'antenne, et pour lui seul.")
    if antenna is not None and await session.get(Antenna, antenna) is None:
        raise StaffError(f"Antenne inconnue : {antenna}.")
    if (
        await session.scalars(select(StaffUser).where(col(StaffUser.username) == username))
    ).first():
        raise StaffError(f"L'identifiant {username} existe déjà.")
    user = StaffUser(
        username=username,
        role=role,
        antenna_code=antenna,
        password_hash=password_hasher.hash(password),
    )
    session.add(user)
    return user


async def create_staff_user(
    settings: Settings, *, username: str, role: Role, antenna: str | None, password: str
) -> None:
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            await add_staff_user(
                session=session, username=username, role=role, antenna=antenna, password=password
            )
    finally:
        await engine.dispose()
