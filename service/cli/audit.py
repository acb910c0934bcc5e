"""``tipline audit verify``: checks the audit trail's keyed chain and its anchor."""

from __future__ import annotations

import asyncio

import typer

from service.core.audit import TrailReport
from service.settings import Settings

app = typer.Typer(help="Journal d'audit.", no_args_is_help=True)


@app.command("verify")
def verify() -> None:
    """Check the keyed chain and the anchor; exit 1 and name the first broken link when broken."""
    from crypto import KeyringError
    from service.cli.data import existing_data

    settings = existing_data()
    try:
        report = asyncio.run(_verify(settings))
    except KeyringError as error:
        typer.echo(f"ERREUR : trousseau de clés illisible : {error}", err=True)
        raise typer.Exit(2) from None
    if report.reason == "cut":
        typer.echo(
            f"ERREUR : journal tronqué : l'ancre atteste l'entrée n° {report.anchored}, "
            f"le journal s'arrête à l'entrée n° {report.total}.",
            err=True,
        )
        raise typer.Exit(1)
    if report.broken_at is not None:
        typer.echo(
            f"ERREUR : chaîne rompue à l'entrée n° {report.broken_at} (sur {report.total}).",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"OK {report.total} entrées")


async def _verify(settings: Settings) -> TrailReport:
    from crypto import load_keyring
    from service.core.audit import anchor_path, count_entries, verify_trail
    from service.core.db import create_engine, create_sessionmaker

    keyring = load_keyring(settings.resolved_keyring_path)
    # Reading the whole trail is long maintenance work: no statement bound.
    engine = create_engine(settings.resolved_database_url, settings, bound_statements=False)
    try:
        async with create_sessionmaker(engine)() as session:
            report = await verify_trail(
                session=session, keyring=keyring, anchor=anchor_path(settings.data_dir)
            )
            if report.broken_at is None:
                return report
            # A broken link stops the walk: say how many entries the trail holds in all.
            total = await count_entries(session=session)
            return TrailReport(total, report.broken_at, report.reason, report.anchored)
    finally:
        await engine.dispose()
