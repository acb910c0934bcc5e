"""How ``tipline serve`` and ``tipline worker`` start and end: logging first, so that every line
they write is a JSON line (in the default format) — settings refused, a keyring refused, a crash
at start-up or later — and an operator's log collector reads all of an incident."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
import structlog
import typer
from pydantic import ValidationError

from service.core.logging import configure_logging
from service.settings import Settings

log = structlog.get_logger("tipline.process")


@contextmanager
def logged_process(process: str) -> Iterator[Settings]:
    """The process's settings, logging configured; what ends it in error is logged, not
    printed, and exits non-zero."""
    configure_logging()  # JSON, until the settings say otherwise: they may be refused
    try:
        settings = Settings()
    except ValidationError as error:
        # Where and why only: a value may be a secret.
        problems = [_problem(item) for item in error.errors(include_input=False, include_url=False)]
        log.error("settings_refused", process=process, problems=problems)
        raise typer.Exit(2) from None
    try:
        configure_logging(level=settings.log_level, json=settings.log_format == "json")
        yield settings
    except (typer.Exit, click.exceptions.Exit, click.exceptions.Abort, KeyboardInterrupt):
        raise
    except Exception:
        # The one catch-all: whatever ends the process becomes a log line with its traceback,
        # never a bare traceback on stderr.
        log.exception("process_failed", process=process)
        raise typer.Exit(1) from None


def refuse(event: str, **fields: object) -> typer.Exit:
    """Log why the process will not start; the exit to raise (status 2)."""
    log.error(event, **fields)
    return typer.Exit(2)


def _problem(item: object) -> str:
    assert isinstance(item, dict)
    where = ".".join(str(part) for part in item.get("loc", ()))
    return f"{where}: {item.get('msg')}" if where else str(item.get("msg"))
