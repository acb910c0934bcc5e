"""``/console/signalements``: the duty officers' queue, most urgent first."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from starlette.responses import Response

from service.access.deps import AppSettings, Now, Officer
from service.access.roles import OFFICERS
from service.access.session import DbSession
from service.casework.queue import QueueView, build_queue, parse_filters
from service.casework.search import search_tips
from service.casework.vocabulary import CATEGORIES, CHANNELS
from service.console.casework_pages import console_router, label, time_left
from service.console.navigation import NavItem, add_navigation
from service.console.templates import render
from service.models import Antenna

router = console_router()
VIEWS = tuple(view.value for view in QueueView)
add_navigation(NavItem("console.nav.queue", "/console/signalements", OFFICERS, order=10))


@router.get("/signalements")
async def queue_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    officer: Officer,
    q: Annotated[str | None, Query(max_length=64)] = None,
    vue: str | None = None,
    canal: str | None = None,
    categorie: str | None = None,
    antenne: str | None = None,
    apres: str | None = None,
    annuler: uuid.UUID | None = None,
) -> Response:
    if q and q.strip():
        return await _search(request, session, q)
    filters = await parse_filters(
        session=session,
        view=vue,
        channel=canal,
        category=categorie,
        antenna=antenne,
        after=apres,
        claimant=officer.id,
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
        "views": VIEWS,
        "query": "",
        "time_left": time_left,
        "label": label,
        "undo_tip": annuler,  # the tip just closed, whose closure can still be undone
    }
    return render(request, "console/queue.html", context)


async def _search(request: Request, session: DbSession, query: str) -> Response:
    """One tip found by its reference opens at once; a source's tips are listed."""
    result = await search_tips(session=session, query=query)
    if result.kind == "reference" and len(result.tips) == 1:
        return RedirectResponse(f"/console/signalements/{result.tips[0].id}", status_code=303)
    context = {"result": result, "query": query.strip(), "label": label}
    return render(request, "console/search.html", context)


def _next_url(request: Request, cursor: str | None) -> str | None:
    """The same view and filters, from where this page ends."""
    if cursor is None:
        return None
    url = request.url.include_query_params(apres=cursor)
    return f"{url.path}?{url.query}"
