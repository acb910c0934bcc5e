"""Schema migrations (Alembic), callable from the CLI, start-up and tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

_SCRIPTS = Path(__file__).parents[1] / "migrations"


def alembic_config(database_url: str, keyring_path: Path | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.set_main_option("sqlalchemy.url", database_url)
    if keyring_path is not None:
        # For migrations that convert stored values with a key (0005 hashes Twilio's ids).
        config.set_main_option("tipline_keyring_path", str(keyring_path))
    return config


def upgrade_to_head(database_url: str, keyring_path: Path | None = None) -> None:
    """Blocking: the Alembic environment runs its own event loop."""
    command.upgrade(alembic_config(database_url, keyring_path), "head")


async def upgrade_to_head_async(database_url: str, keyring_path: Path | None = None) -> None:
    await asyncio.to_thread(upgrade_to_head, database_url, keyring_path)
