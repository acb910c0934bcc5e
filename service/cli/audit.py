"""``tipline audit verify``: checks the audit trail's hash chain."""

from __future__ import annotations

import asyncio

import typer

from service.settings import Settings

app = typer.Typer(help="Journal d'audit.", no_args_is_help=True)


@app.command("verify")
def verify() -> None:
    """Check the hash chain; exit 1 and name the first broken link when it is broken."""
    broken, total = asyncio.run(_verify(Settings()))
    if broken is not None:
        typer.echo(f"ERREUR : chaîne rompue à l'entrée n° {broken} (sur {total}).", err=True)
        raise typer.Exit(1)
    typer.echo(f"OK {total} entrées")


async def _verify(settings: Settings) -> tuple[int | None, int]:
    from service.core.audit import count_entries, verify_chain
    from service.core.db import create_engine, create_sessionmaker

    engine = create_engine(settings.resolved_database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await verify_chain(session=session), await count_entries(session=session)
    finally:
        await engine.dispose()
