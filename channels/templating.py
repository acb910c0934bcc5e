"""The one Jinja environment of every HTML page: the citizens' (``channels/web/templates``) and
the staff console's (its directory added by ``service.console.templates``). French first, from
the translation catalogue; autoescaped; an undefined name is an error, not an empty string."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from channels.formatting import format_number
from channels.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalogue, translate

WEB_TEMPLATES_DIR = Path(__file__).parent / "web" / "templates"


def labels(key: str) -> list[tuple[str, str]]:
    """(language, text) for French, then each other language whose catalogue has the key."""
    found = [(DEFAULT_LANGUAGE, translate(key))]
    for language in LANGUAGES:
        text = catalogue(language).get(key)
        if language != DEFAULT_LANGUAGE and text:
            found.append((language, text))
    return found


def translate_or(key: str, fallback: str) -> str:
    """A label from the catalogue, or ``fallback`` when it has none (e.g. a new audit action)."""
    try:
        return translate(key)
    except KeyError:
        return fallback


def wall_clock(value: datetime | None) -> str:
    """Mali keeps UTC all year: UTC is the citizen's and the officers' wall-clock time."""
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%d/%m/%Y %H:%M")


_loader = FileSystemLoader([WEB_TEMPLATES_DIR])

environment = Environment(
    loader=_loader,
    autoescape=select_autoescape(["html", "svg"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.globals["labels"] = labels
environment.globals["t"] = translate
environment.globals["t_or"] = translate_or
environment.filters["when"] = wall_clock
environment.filters["number"] = format_number


def add_template_directory(directory: Path) -> None:
    """Make the templates under ``directory`` available (the service's own pages)."""
    if str(directory) not in _loader.searchpath:
        _loader.searchpath.append(str(directory))
