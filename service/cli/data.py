"""Commands that work on existing data (``users``, ``keys``, ``audit``) run where that data is.

Run from another folder, the default ``./tipline-data`` does not exist there: instead of a
traceback from the database driver, the command says where it looked and how to point it at
the right place.
"""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from channels.i18n import translate
from service.settings import Settings


def existing_data(*, keyring: bool = False) -> Settings:
    """The settings, once the embedded database (and the keyring, when asked) are found; else
    a message naming the data directory expected and ``TIPLINE_DATA_DIR``, exit status 2."""
    settings = Settings()
    missing = [path for path in _needed(settings, keyring=keyring) if not path.exists()]
    if missing:
        typer.echo(
            translate(
                "cli.no_data",
                data_dir=settings.data_dir.resolve(),
                missing=", ".join(str(path.resolve()) for path in missing),
                cwd=Path.cwd(),
            ),
            err=True,
        )
        raise typer.Exit(2)
    return settings


def _needed(settings: Settings, *, keyring: bool) -> list[Path]:
    needed = []
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        needed.append(Path(url.database))
    if keyring:
        needed.append(settings.resolved_keyring_path)
    return needed
