"""First start: data directory, keyring, schema and default antennas, all idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import col

from crypto import load_or_create_keyring
from service.antennas.defaults import seed_antennas
from service.core.db import create_engine, create_sessionmaker, transaction
from service.core.migrate import upgrade_to_head_async
from service.models import Role, StaffUser
from service.settings import Settings


@dataclass(frozen=True)
class BootstrapReport:
    keyring_created: bool
    antennas_added: int
    has_admin: bool


async def bootstrap(settings: Settings, *, migrate: bool) -> BootstrapReport:
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    _, keyring_created = load_or_create_keyring(settings.resolved_keyring_path)
    if migrate:
        await upgrade_to_head_async(settings.resolved_database_url)
    engine = create_engine(settings.resolved_database_url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            added = await seed_antennas(session=session)
            admins = await session.scalar(
                select(func.count()).select_from(StaffUser).where(col(StaffUser.role) == Role.ADMIN)
            )
    finally:
        await engine.dispose()
    return BootstrapReport(keyring_created, added, bool(admins))


def is_embedded_database(settings: Settings) -> bool:
    return settings.resolved_database_url.startswith("sqlite")
