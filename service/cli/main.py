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
    import socket

    import uvicorn

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
    from service.cli.long_running import logged_process

    with logged_process("serve") as settings:
        embedded = is_embedded_database(settings)
        # PostgreSQL down at start: the API starts anyway, not ready, spooling webhooks, and
        # finishes the start once the database answers.
        report = _bootstrapped(
            settings, migrate=embedded, database_may_wait=not embedded, logged=True
        )
        _log_first_start(settings, report.keyring_created, report.has_admin)
        config = uvicorn.Config(
            create_app(settings, freeze_gc=True, database_started=report.database_done),
            host=host,
            port=port,
            access_log=False,
            log_config=None,
        )
        _announcing_server(config, settings).run()


@app.command()
def worker() -> None:
    """Run the arq worker (needs TIPLINE_REDIS_URL)."""
    from crypto import KeyringError, load_keyring
    from service.cli.long_running import logged_process, refuse
    from service.worker import run

    with logged_process("worker") as settings:
        if not settings.redis_url:
            raise refuse("worker_refused", reason="TIPLINE_REDIS_URL est requis pour le worker.")
        try:
            load_keyring(settings.resolved_keyring_path)
        except KeyringError as error:
            reason = f"trousseau de clés inutilisable : {error}"
            raise refuse("keyring_refused", reason=reason) from None
        run(settings)


@app.command()
def migrate() -> None:
    """Apply database migrations (Alembic) and seed the default antennas."""
    _bootstrapped(Settings(), migrate=True)
    typer.echo("Schéma à jour.")


def _bootstrapped(
    settings: Settings, *, migrate: bool, database_may_wait: bool = False, logged: bool = False
) -> BootstrapReport:
    """First-start work; a refused keyring ends the command with its reason, exit code 2 (a log
    line when ``logged``: ``tipline serve`` writes nothing else)."""
    from service.bootstrap import KeyringRefused, bootstrap

    try:
        return asyncio.run(
            bootstrap(settings, migrate=migrate, database_may_wait=database_may_wait)
        )
    except KeyringRefused as refusal:
        if logged:
            from service.cli.long_running import refuse

            raise refuse("keyring_refused", reason=str(refusal)) from None
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


def _announcing_server(config: uvicorn.Config, settings: Settings) -> uvicorn.Server:
    """A server that says where it listens once it does: the URL to open, first."""
    import structlog
    import uvicorn

    log = structlog.get_logger("tipline.process")
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host
    url = f"http://{host}:{config.port}"

    class AnnouncingServer(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                log.info(
                    "tipline_listening",
                    url=url,
                    console=f"{url}/console",
                    public_url=settings.public_base_url,
                )

    return AnnouncingServer(config)


def _log_first_start(settings: Settings, keyring_created: bool, has_admin: bool | None) -> None:
    import structlog

    log = structlog.get_logger("tipline.process")
    if keyring_created:
        log.warning(
            "keyring_created",
            path=str(settings.resolved_keyring_path),
            advice="Sauvegardez-le à part : sans lui, les identités chiffrées sont perdues.",
        )
    if has_admin is False:
        log.warning(
            "no_administrator",
            advice="Créez le premier avec : tipline users create --username admin --role admin",
        )
