"""``tipline keys rotate``: every kind of key rotated on the live system (see
``service.reporters.keys``)."""

from __future__ import annotations

import asyncio

import typer

app = typer.Typer(help="Clés de chiffrement.", no_args_is_help=True)


@app.command("rotate")
def rotate() -> None:
    """Rotate every kind of key in short batches; run again to resume one cut short."""
    from service.cli.data import existing_data
    from service.reporters.keys import rotate_keys

    report = asyncio.run(rotate_keys(existing_data(keyring=True)))
    typer.echo(
        f"Nouvelles clés actives. Valeurs rechiffrées : {report.resealed}, "
        f"index recalculés : {report.reindexed}."
    )
    if report.left_under_old_keys:
        typer.echo(
            f"Anciennes clés gardées : {report.left_under_old_keys} valeurs encore scellées "
            "sous elles (un processus écrit-il avec un trousseau ancien ?). "
            "Relancez « tipline keys rotate » pour terminer."
        )
    elif not report.retired:
        typer.echo("Anciennes clés gardées : le spool contient encore des fichiers.")
