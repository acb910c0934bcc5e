"""The dashboard's statistics as a CSV file for supervisors: counts and quantities only.

One row per figure, in the same long shape whatever the figure, so a spreadsheet can filter and
pivot it: indicator, day, antenna, detail (channel, category, outcome, substance…), unit, value.
Nothing of a tip is in it — no reference, text, place or pseudonym — only what the dashboard
counts. Written for French spreadsheets: semicolons between fields, decimal commas, no thousands
separator, and a byte-order mark so that accents open correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from babel.numbers import format_decimal

from channels.i18n import DEFAULT_LANGUAGE, translate
from service.casework.dashboard import ACK_BUCKETS, DashboardStats, Seizures
from service.casework.vocabulary import CHANNELS
from service.console.casework_pages import label

HEADERS = ("indicator", "day", "antenna", "detail", "unit", "value")
Row = tuple[str, str, str, str, str, str]


def statistics_csv(stats: DashboardStats) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";")
    writer.writerow([translate(f"console.export.header.{name}") for name in HEADERS])
    writer.writerows(statistics_rows(stats))
    return out.getvalue()


def filename(stats: DashboardStats) -> str:
    return f"statistiques-{stats.days[0].isoformat()}-{stats.days[-1].isoformat()}.csv"


def statistics_rows(stats: DashboardStats) -> Iterator[Row]:
    yield from _tips(stats)
    yield from _cases(stats)
    yield from _outcomes(stats)
    yield from _seized(stats)


def _row(
    indicator: str,
    value: float | None,
    *,
    day: str = "",
    antenna: str = "",
    detail: str = "",
    unit: str = "",
) -> Row:
    return (translate(f"console.export.{indicator}"), day, antenna, detail, unit, _number(value))


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(format_decimal(value, locale=DEFAULT_LANGUAGE, group_separator=False))


def _tips(stats: DashboardStats) -> Iterator[Row]:
    for day in stats.days:
        for channel in CHANNELS:
            count = stats.tips_per_day[day].get(channel, 0)
            yield _row("tips", count, day=day.isoformat(), detail=label("channel", channel))
    for category, count in sorted(stats.by_category.items()):
        yield _row("by_category", count, detail=label("category", category))


def _cases(stats: DashboardStats) -> Iterator[Row]:
    for antenna, count in sorted(stats.by_antenna.items()):
        yield _row("cases", count, antenna=antenna)
    for _bound, bucket in ACK_BUCKETS:
        detail = translate(f"console.dashboard.bucket.{bucket}")
        yield _row("acknowledged", stats.ack_buckets[bucket], detail=detail)
    yield _row("unacknowledged", stats.unacknowledged)
    minutes = translate("console.export.minutes")
    for priority, median in stats.median_ack_minutes.items():
        yield _row("median_ack", median, detail=priority, unit=minutes)


def _outcomes(stats: DashboardStats) -> Iterator[Row]:
    for antenna in stats.outcomes_by_antenna:
        for kind, count in sorted(antenna.by_kind.items()):
            yield _row("outcomes", count, antenna=antenna.antenna, detail=label("outcome", kind))
        yield _row("arrests", antenna.arrests, antenna=antenna.antenna)


def _seized(stats: DashboardStats) -> Iterator[Row]:
    everywhere = translate("console.export.all_antennas")
    for seized in stats.seized:
        yield from _seizure_rows(everywhere, seized)
    for antenna, seizures in sorted(stats.seized_by_antenna.items()):
        for seized in seizures:
            yield from _seizure_rows(antenna, seized)


def _seizure_rows(antenna: str, seized: Seizures) -> Iterator[Row]:
    substance = label("substance", seized.substance)
    unit = label("unit", seized.unit)
    yield _row("seized", seized.quantity, antenna=antenna, detail=substance, unit=unit)
    yield _row("seizures", seized.seizures, antenna=antenna, detail=substance)
