"""``/console/tableau-de-bord``: the charts, drawn as SVG on the server, the seizures and the
outcomes per antenna; its statistics as a CSV file (``statistics_csv``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from starlette.responses import Response

from channels.i18n import translate
from service.access.deps import DashboardReader, Now
from service.access.roles import DASHBOARD_READERS
from service.access.session import DbSession, ReadSessions
from service.casework.charts import horizontal_bars, stacked_columns
from service.casework.dashboard import ACK_BUCKETS, DashboardStats, dashboard_stats
from service.casework.vocabulary import CHANNELS, OUTCOME_KINDS
from service.console.casework_pages import console_router, label
from service.console.navigation import NavItem, add_navigation
from service.console.statistics_csv import filename, statistics_csv
from service.console.templates import NO_STORE, render
from service.core.audit import record_audit

router = console_router()
add_navigation(
    NavItem("console.nav.dashboard", "/console/tableau-de-bord", DASHBOARD_READERS, order=30)
)

Days = Annotated[int, Query(ge=1, le=92)]


@router.get("/tableau-de-bord")
async def dashboard_page(
    request: Request, sessions: ReadSessions, _reader: DashboardReader, now: Now, jours: Days = 14
) -> Response:
    stats = await dashboard_stats(sessions=sessions, now=now, days=jours)
    context = {
        "stats": stats,
        "charts": charts(stats),
        "days": jours,
        "label": label,
        "outcome_kinds": OUTCOME_KINDS,
    }
    return render(request, "console/dashboard.html", context)


@router.get("/tableau-de-bord/export.csv")
async def dashboard_export(
    session: DbSession,
    sessions: ReadSessions,
    reader: DashboardReader,
    now: Now,
    jours: Days = 14,
) -> Response:
    """Counts and quantities only; who took the figures out, and for how long, is audited."""
    stats = await dashboard_stats(sessions=sessions, now=now, days=jours)
    await record_audit(
        session=session, actor=reader, action="dashboard.exported", details={"jours": str(jours)}
    )
    disposition = f'attachment; filename="{filename(stats)}"'
    return Response(
        statistics_csv(stats),
        media_type="text/csv; charset=utf-8",
        headers={**NO_STORE, "Content-Disposition": disposition},
    )


def charts(stats: DashboardStats) -> dict[str, object]:
    empty = translate("console.dashboard.empty")
    return {
        "per_day": stacked_columns(
            translate("console.dashboard.per_day"),
            [(day.strftime("%d/%m"), stats.tips_per_day[day]) for day in stats.days],
            [(channel, label("channel", channel)) for channel in CHANNELS],
        ),
        "by_category": horizontal_bars(
            translate("console.dashboard.by_category"),
            {label("category", key): value for key, value in stats.by_category.items()},
            empty=empty,
        ),
        "by_antenna": horizontal_bars(
            translate("console.dashboard.by_antenna"), stats.by_antenna, empty=empty
        ),
        "ack": horizontal_bars(
            translate("console.dashboard.ack"),
            {
                translate(f"console.dashboard.bucket.{name}"): stats.ack_buckets[name]
                for _bound, name in ACK_BUCKETS
            },
            keep_order=True,
        ),
        "outcomes": horizontal_bars(
            translate("console.dashboard.outcomes"),
            {label("outcome", key): value for key, value in stats.outcomes.items()},
            empty=empty,
        ),
    }
