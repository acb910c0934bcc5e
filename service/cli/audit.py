"""``tipline audit verify``: checks the audit trail's keyed chain and its anchor.

Millions of entries take minutes: the walk shows a progress bar on a terminal, and writes how
far it got (``audit-verified.json`` in the data directory) as it goes, so ``--reprendre`` starts
from the last point verified instead of the first entry.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import typer

from service.core.audit_verification import TrailReport, VerifiedPoint
from service.settings import Settings

app = typer.Typer(help="Journal d'audit.", no_args_is_help=True)

_RESUME_HELP = (
    "Reprendre après le dernier point vérifié (audit-verified.json du dossier de données) "
    "au lieu de relire tout le journal."
)


@app.command("verify")
def verify(resume: bool = typer.Option(False, "--reprendre", help=_RESUME_HELP)) -> None:
    """Check the keyed chain and the anchor; exit 1 and name the first broken link when broken."""
    from crypto import KeyringError
    from service.cli.data import existing_data

    settings = existing_data()
    try:
        report = asyncio.run(_verify(settings, resume=resume))
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


async def _verify(settings: Settings, *, resume: bool) -> TrailReport:
    from crypto import load_keyring
    from service.core.audit import anchor_path, count_entries, sequence_bounds
    from service.core.audit_verification import verify_trail
    from service.core.db import create_engine, create_sessionmaker

    keyring = load_keyring(settings.resolved_keyring_path)
    progress_file = verified_point_path(settings.data_dir)
    start = read_verified_point(progress_file) if resume else None
    # Reading the whole trail is long maintenance work: no statement bound.
    engine = create_engine(settings.resolved_database_url, settings, bound_statements=False)
    try:
        async with create_sessionmaker(engine)() as session:
            bounds = await sequence_bounds(session=session)
            length = (bounds[1] if bounds else 0) - (start.sequence if start else 0)
            # On standard error, so ``OK n entrées`` alone is on standard output; click draws the
            # bar only on a terminal (a log or a pipe gets its label once).
            with typer.progressbar(
                length=max(length, 0), label="Vérification du journal", file=sys.stderr
            ) as bar:

                def advanced(point: VerifiedPoint, checked: int) -> None:
                    write_verified_point(progress_file, point)
                    bar.update(checked)

                report = await verify_trail(
                    session=session,
                    keyring=keyring,
                    anchor=anchor_path(settings.data_dir),
                    resume_from=start,
                    on_progress=advanced,
                )
            if report.broken_at is None:
                return report
            # A broken link stops the walk: say how many entries the trail holds in all.
            total = await count_entries(session=session)
            return TrailReport(total, report.broken_at, report.reason, report.anchored)
    finally:
        await engine.dispose()


def verified_point_path(data_dir: Path) -> Path:
    return data_dir / "audit-verified.json"


def read_verified_point(path: Path) -> VerifiedPoint | None:
    """The point a previous walk reached; None (a full walk) when there is none or it is torn."""
    try:
        record = json.loads(path.read_text(encoding="ascii"))
        return VerifiedPoint(int(record["sequence"]), str(record["hash"]), bool(record["keyed"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_verified_point(path: Path, point: VerifiedPoint) -> None:
    """Replaced whole (write then rename): a crash leaves the old point or the new, never half."""
    record = {"sequence": point.sequence, "hash": point.entry_hash, "keyed": point.keyed}
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(record), encoding="ascii")
    os.replace(partial, path)
