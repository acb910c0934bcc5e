"""``tipline keys rotate``: a new active key; stored identities re-encrypted under it."""

from __future__ import annotations

import asyncio

import typer

from service.settings import Settings

app = typer.Typer(help="Clés de chiffrement.", no_args_is_help=True)


@app.command("rotate")
def rotate() -> None:
    """Add new active identity and content keys and re-encrypt stored identities."""
    from service.reporters.keys import rotate_keys

    resealed = asyncio.run(rotate_keys(Settings()))
    typer.echo(f"Nouvelle clé active. Identités rechiffrées : {resealed}.")
