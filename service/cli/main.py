"""``tipline``: serve, worker, migrate, triage, rules, users, keys, audit."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from service.cli import audit, keys, users
from service.settings import Settings

if TYPE_CHECKING:
    from service.bootstrap import BootstrapReport

app = typer.Typer(help="Tipline — ligne anonyme de l'OCS.", no_args_is_help=True)
rules_app = typer.Typer(help="Règles et gazetier de tri.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(users.app, name="users")
app.add_typer(keys.app, name="keys")
app.add_typer(audit.app, name="audit")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface d'écoute.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port d'écoute.")] = 8000,
) -> None:
    """Start the web service (and, with no Redis configured, the jobs in-process)."""
    import uvicorn

    from service.app import create_app
    from service.bootstrap import is_embedded_database
    from service.core.logging import configure_logging

    settings = Settings()
    configure_logging(level=settings.log_level, json=settings.log_format == "json")
    report = _bootstrapped(settings, migrate=is_embedded_database(settings))
    _print_first_start(settings, report.keyring_created, report.has_admin)
    uvicorn.run(
        create_app(settings, freeze_gc=True),
        host=host,
        port=port,
        access_log=False,
        log_config=None,
    )


@app.command()
def worker() -> None:
    """Run the arq worker (needs TIPLINE_REDIS_URL)."""
    from crypto import KeyringError, load_keyring
    from service.worker import run

    settings = Settings()
    if not settings.redis_url:
        typer.echo("TIPLINE_REDIS_URL est requis pour le worker.", err=True)
        raise typer.Exit(2)
    try:
        load_keyring(settings.resolved_keyring_path)
    except KeyringError as error:
        typer.echo(f"ERREUR : trousseau de clés inutilisable : {error}", err=True)
        raise typer.Exit(2) from None
    run(settings)


@app.command()
def migrate() -> None:
    """Apply database migrations (Alembic) and seed the default antennas."""
    _bootstrapped(Settings(), migrate=True)
    typer.echo("Schéma à jour.")


def _bootstrapped(settings: Settings, *, migrate: bool) -> BootstrapReport:
    """First-start work; a refused keyring ends the command with its reason, exit code 2."""
    from service.bootstrap import KeyringRefused, bootstrap

    try:
        return asyncio.run(bootstrap(settings, migrate=migrate))
    except KeyringRefused as refusal:
        typer.echo(f"ERREUR : {refusal}", err=True)
        raise typer.Exit(2) from None


@app.command()
def triage(
    rules: Annotated[Path | None, typer.Option(help="Fichier de règles.")] = None,
    gazetteer: Annotated[Path | None, typer.Option(help="Fichier gazetier.")] = None,
) -> None:
    """JSON Lines tips on stdin, one decision per line on stdout."""
    from triage import RulesError, load_ruleset
    from triage.jsonl import run_jsonl

    settings = Settings()
    try:
        ruleset = load_ruleset(rules or settings.rules_path, gazetteer or settings.gazetteer_path)
    except RulesError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    raise typer.Exit(run_jsonl(sys.stdin, sys.stdout, ruleset))


@rules_app.command("check")
def rules_check(
    path: Annotated[Path | None, typer.Argument(help="Fichier à vérifier.")] = None,
) -> None:
    """Validate a rules or gazetteer file, then read the real-world corpus with it and with the
    rules in force: the accuracy change per field, and the tips it fixes or breaks."""
    from triage import RulesError, load_ruleset
    from triage.quality import check_rules, format_comparison
    from triage.ruleset import check_file, is_gazetteer

    settings = Settings()
    try:
        version = check_file(path) if path is not None else load_ruleset().version
        in_force = load_ruleset(settings.rules_path, settings.gazetteer_path)
        edited_gazetteer = path is not None and is_gazetteer(path)
        comparison = check_rules(
            settings.rules_path if edited_gazetteer else path,
            path if edited_gazetteer else settings.gazetteer_path,
            in_force=in_force,
        )
    except RulesError as error:
        typer.echo(f"ERREUR : {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"OK {version}")
    typer.echo("Lecture du corpus réel, règles en vigueur → fichier vérifié :")
    typer.echo(format_comparison(comparison))


def _print_first_start(settings: Settings, keyring_created: bool, has_admin: bool) -> None:
    if keyring_created:
        typer.echo(f"Trousseau de clés créé : {settings.resolved_keyring_path} (mode 0600).")
        typer.echo("Sauvegardez-le à part : sans lui, les identités chiffrées sont perdues.")
    if not has_admin:
        typer.echo("Aucun administrateur. Créez le premier avec :")
        typer.echo("  tipline users create --username admin --role admin")
