"""Charts drawn as SVG on the server: nothing loaded from another site, no script needed.

Every label goes through ``escape``; colours are presentation attributes, not inline styles,
so the console's Content-Security-Policy needs no exception.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

from channels.formatting import format_number

PALETTE = ("#1f5f8b", "#d9822b", "#2e8540", "#8e44ad", "#c0392b", "#7f8c8d", "#b7950b")
# Bar charts sit in a third of the page, column charts across it: each viewBox is drawn for its
# place, so text keeps a readable size once the SVG is scaled to the card's width.
_BAR_HEIGHT, _BAR_GAP, _LABEL_WIDTH, _BARS_WIDTH, _WIDTH = 22, 6, 150, 420, 900


def horizontal_bars(
    title: str,
    values: Mapping[str, int | float],
    *,
    unit: str = "",
    empty: str = "—",
    keep_order: bool = False,
) -> Markup:
    """One bar per label, longest first (or in the order given, for ranges such as delays)."""
    items = list(values.items())
    if not keep_order:
        items.sort(key=lambda item: (-item[1], item[0]))
    height = max(1, len(items)) * (_BAR_HEIGHT + _BAR_GAP) + 10
    highest = max((value for _label, value in items), default=0) or 1
    scale = (_BARS_WIDTH - _LABEL_WIDTH - 50) / highest
    parts = [_open_svg(title, _BARS_WIDTH, height)]
    for row, (label, value) in enumerate(items):
        y = 5 + row * (_BAR_HEIGHT + _BAR_GAP)
        width = max(1, round(value * scale)) if value else 0
        parts.append(
            f'<text x="{_LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" font-size="13">'
            f"{escape(label)}</text>"
            f'<rect x="{_LABEL_WIDTH}" y="{y}" width="{width}" height="{_BAR_HEIGHT}" '
            f'fill="{PALETTE[0]}"><title>{escape(label)} : {_number(value)}{escape(unit)}</title>'
            f"</rect>"
            f'<text x="{_LABEL_WIDTH + width + 6}" y="{y + 16}" font-size="13">'
            f"{_number(value)}{escape(unit)}</text>"
        )
    if not items:
        parts.append(f'<text x="10" y="20" font-size="13">{escape(empty)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_columns(
    title: str,
    columns: Sequence[tuple[str, Mapping[str, int]]],
    series: Sequence[tuple[str, str]],
) -> Markup:
    """One column per label (a day), stacked by series (key, legend label), with a legend."""
    plot_height, top, left = 180, 10, 40
    column_width = max(8, (_WIDTH - left - 10) // max(1, len(columns)))
    highest = max((sum(values.values()) for _label, values in columns), default=0) or 1
    scale = plot_height / highest
    legend_y = top + plot_height + 40
    parts = [_open_svg(title, _WIDTH, legend_y + 20)]
    parts.append(
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" font-size="11">{highest}</text>'
        f'<line x1="{left}" y1="{top + plot_height}" x2="{_WIDTH - 10}" '
        f'y2="{top + plot_height}" stroke="#555"/>'
    )
    for index, (label, values) in enumerate(columns):
        x = left + index * column_width
        parts.append(_column(x, column_width - 3, top + plot_height, scale, label, values, series))
        parts.append(
            f'<text x="{x + column_width // 2}" y="{top + plot_height + 14}" text-anchor="middle" '
            f'font-size="10">{escape(label)}</text>'
        )
    for index, (_key, legend) in enumerate(series):
        x = left + index * 120
        parts.append(
            f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" '
            f'fill="{PALETTE[index % len(PALETTE)]}"/>'
            f'<text x="{x + 16}" y="{legend_y}" font-size="12">{escape(legend)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _column(
    x: int,
    width: int,
    baseline: int,
    scale: float,
    label: str,
    values: Mapping[str, int],
    series: Sequence[tuple[str, str]],
) -> str:
    parts, y = [], float(baseline)
    for index, (key, legend) in enumerate(series):
        value = values.get(key, 0)
        if not value:
            continue
        height = value * scale
        y -= height
        parts.append(
            f'<rect x="{x}" y="{y:.1f}" width="{width}" height="{height:.1f}" '
            f'fill="{PALETTE[index % len(PALETTE)]}">'
            f"<title>{escape(label)} — {escape(legend)} : {_number(value)}</title></rect>"
        )
    return "".join(parts)


def _open_svg(title: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )


def _number(value: float) -> str:
    return format_number(value)
