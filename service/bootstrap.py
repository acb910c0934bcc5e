"""First start: data directory, keyring, schema and default antennas, all idempotent.

A keyring is created only for a service that holds nothing yet. A data directory or a database
that already holds data sealed or chained under a keyring that is now missing or unreadable is
refused: a fresh keyring would start a second, silent history beside data nobody can open.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import structlog
from sqlalchemy import func, inspect, select
from sqlalchemy import table as table_clause
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col

from crypto import KeyringError, complete_keyring_file, load_keyring, load_or_create_keyring
from service.antennas.defaults import seed_antennas
from service.core.audit import anchor_path
from service.core.db import SessionMaker, create_engine, create_sessionmaker, transaction
from service.core.migrate import upgrade_to_head_async
from service.core.outage import database_unreachable
from service.models import Role, StaffUser
from service.settings import Settings

log = structlog.get_logger(__name__)

# Tables whose rows are sealed, indexed or chained under the keyring's keys.
_KEYED_TABLES = ("reporters", "messages", "staff_users", "audit_entries")


class KeyringRefused(RuntimeError):
    """The service holds data but its keyring is missing or unreadable: it must not start."""


@dataclass(frozen=True)
class BootstrapReport:
    keyring_created: bool
    antennas_added: int
    # None: the database did not answer, its part of the start is still to do (``seeded``).
    has_admin: bool | None

    @property
    def database_done(self) -> bool:
        return self.has_admin is not None


async def bootstrap(
    settings: Settings, *, migrate: bool, database_may_wait: bool = False
) -> BootstrapReport:
    """``database_may_wait``: an unreachable database is reported (``database_done`` False)
    instead of raised, for an API process that starts anyway and finishes later."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    keyring_created = await ensure_keyring(settings)
    try:
        if migrate:
            await upgrade_to_head_async(
                settings.resolved_database_url, settings.resolved_keyring_path
            )
        engine = create_engine(settings.resolved_database_url, settings)
        try:
            added, has_admin = await seeded(create_sessionmaker(engine))
        finally:
            await engine.dispose()
    except (SQLAlchemyError, OSError) as error:
        if not (database_may_wait and database_unreachable(error)):
            raise
        log.warning("database_unreachable_at_start", error=type(error).__name__)
        return BootstrapReport(keyring_created, 0, None)
    return BootstrapReport(keyring_created, added, has_admin)


async def seeded(sessions: SessionMaker) -> tuple[int, bool]:
    """The database's part of the first start (idempotent): the default antennas; how many were
    added, and whether an administrator exists."""
    async with transaction(sessions) as session:
        added = await seed_antennas(session=session)
        admins = await session.scalar(
            select(func.count()).select_from(StaffUser).where(col(StaffUser.role) == Role.ADMIN)
        )
    return added, bool(admins)


async def seed_when_reachable(sessions: SessionMaker, *, every: float) -> None:
    """What a start with the database down left undone, done once it answers."""
    while True:
        try:
            await seeded(sessions)
        except (SQLAlchemyError, OSError) as error:
            if not database_unreachable(error):
                raise
            await asyncio.sleep(every)
            continue
        log.info("database_start_finished")
        return


async def ensure_keyring(settings: Settings) -> bool:
    """Load (and complete) the keyring, or create one for an empty service; True if created.

    Raises ``KeyringRefused`` when there is data but no usable keyring."""
    path = settings.resolved_keyring_path
    if path.exists():
        try:
            complete_keyring_file(path)
            load_keyring(path)
        except KeyringError as error:
            raise KeyringRefused(f"Trousseau de clés illisible ({path}) : {error}") from None
        except OSError as error:  # a new kind of key to add, but the file is read-only
            raise KeyringRefused(
                f"Trousseau de clés à compléter mais non modifiable ({path}) : {error.strerror}. "
                "Lancez une fois `tipline migrate` avec le trousseau en écriture."
            ) from None
        return False
    holding = await data_without_keyring(settings)
    if holding:
        raise KeyringRefused(
            f"Trousseau de clés introuvable : {path}. Ce service contient déjà des données "
            f"({holding}) : il ne démarre pas avec un nouveau trousseau. Remettez le trousseau "
            "sauvegardé à sa place (TIPLINE_KEYRING), puis relancez."
        )
    _, created = load_or_create_keyring(path)
    return created


async def data_without_keyring(settings: Settings) -> str:
    """What the service holds that needs the keyring (a short French description), or ''."""
    spool = settings.data_dir / "spool"
    if spool.is_dir() and any(spool.iterdir()):
        return "fichiers en attente dans spool/"
    if anchor_path(settings.data_dir).exists():
        return "ancre du journal d'audit"
    try:
        rows = await _keyed_rows(settings.resolved_database_url)
    except (SQLAlchemyError, OSError) as error:
        raise KeyringRefused(
            "Trousseau de clés introuvable et base de données injoignable "
            f"({type(error).__name__}) : impossible de vérifier qu'elle est vide."
        ) from None
    return f"{rows} lignes chiffrées ou chaînées dans la base" if rows else ""


async def _keyed_rows(url: str) -> int:
    if url.startswith("sqlite") and not _sqlite_file_exists(url):
        return 0
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await _count_keyed_rows(connection)
    finally:
        await engine.dispose()


async def _count_keyed_rows(connection: AsyncConnection) -> int:
    present = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    total = 0
    for table in _KEYED_TABLES:
        if table in present:
            total += int(
                await connection.scalar(select(func.count()).select_from(table_clause(table))) or 0
            )
    return total


def _sqlite_file_exists(url: str) -> bool:
    location = url.split("///", 1)[1] if "///" in url else ""
    return bool(location) and location != ":memory:" and Path(location).exists()


def is_embedded_database(settings: Settings) -> bool:
    return settings.resolved_database_url.startswith("sqlite")
