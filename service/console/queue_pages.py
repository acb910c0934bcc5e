"""``/console/signalements``: the duty officers' queue, most urgent first."""

from __future__ import annotations

import uuid

from fastapi import Request
from sqlalchemy import select
from starlette.responses import Response

from service.access.deps import AppSettings, Now, Officer
from service.access.roles import OFFICERS
from service.access.session import DbSession
from service.casework.queue import build_queue, parse_filters
from service.casework.vocabulary import CATEGORIES, CHANNELS
from service.console.casework_pages import console_router, label, time_left
from service.console.navigation import NavItem, add_navigation
from service.console.templates import render
from service.models import Antenna

router = console_router()
add_navigation(NavItem("console.nav.queue", "/console/signalements", OFFICERS, order=10))


@router.get("/signalements")
async def queue_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    _officer: Officer,
    vue: str | None = None,
    canal: str | None = None,
    categorie: str | None = None,
    antenne: str | None = None,
    apres: str | None = None,
    annuler: uuid.UUID | None = None,
) -> Response:
    filters = await parse_filters(
        session=session,
        view=vue,
        channel=canal,
        category=categorie,
        antenna=antenne,
        after=apres,
    )
    page = await build_queue(session=session, settings=settings, filters=filters, now=now)
    antennas = (await session.scalars(select(Antenna).order_by(Antenna.code))).all()
    context = {
        "items": page.items,
        "page": page,
        "next_url": _next_url(request, page.next_cursor),
        "filters": filters,
        "channels": CHANNELS,
        "categories": CATEGORIES,
        "antennas": antennas,
        "views": ("a_traiter", "en_retard", "transmis", "clos", "tous"),
        "time_left": time_left,
        "label": label,
        "undo_tip": annuler,  # the tip just closed, whose closure can still be undone
    }
    return render(request, "console/queue.html", context)


def _next_url(request: Request, cursor: str | None) -> str | None:
    """The same view and filters, from where this page ends."""
    if cursor is None:
        return None
    url = request.url.include_query_params(apres=cursor)
    return f"{url.path}?{url.query}"
