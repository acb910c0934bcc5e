"""Numbers as French readers write them (``250,5 kg``, ``12 480``), through Babel's CLDR data."""

from __future__ import annotations

from babel.numbers import format_decimal

from channels.i18n import DEFAULT_LANGUAGE


def format_number(value: float | int | None, language: str = DEFAULT_LANGUAGE) -> str:
    """A count or a quantity in the reader's language; "—" for nothing recorded."""
    if value is None:
        return "—"
    return str(format_decimal(value, locale=language))
