"""``tipline users create``: a staff account with a one-time password."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

app = typer.Typer(help="Comptes du personnel.", no_args_is_help=True)
# Spelled out here rather than imported from the models: ``--help`` stays instant.
_ROLES = ("admin", "supervisor", "duty_officer", "operator", "antenna_chief", "auditor")


@app.command("create")
def create(
    username: Annotated[str, typer.Option(help="Identifiant.")],
    role: Annotated[str, typer.Option(help=f"Rôle : {', '.join(_ROLES)}.")],
    antenna: Annotated[str | None, typer.Option(help="Code d'antenne (chef d'antenne).")] = None,
) -> None:
    """Create a staff account and print its one-time password."""
    from service.cli.data import existing_data
    from service.models import Role
    from service.staff.accounts import StaffError, create_staff_user
    from service.staff.passwords import one_time_password

    if role not in {r.value for r in Role}:
        typer.echo(f"Rôle inconnu : {role}. Rôles : {', '.join(r.value for r in Role)}.", err=True)
        raise typer.Exit(2)
    settings = existing_data()
    password = one_time_password()
    try:
        asyncio.run(
            create_staff_user(
                settings, username=username, role=Role(role), antenna=antenna, password=password
            )
        )
    except StaffError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    typer.echo(f"Compte {username} ({role}) créé. Mot de passe à usage unique : {password}")
    typer.echo(
        "Il devra être changé, et la double authentification activée, à la première connexion."
    )
