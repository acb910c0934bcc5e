"""``/console/signalements``: the duty officers' queue, most urgent first.

The page keeps itself current while it is open: a small script fetches its list again every few
seconds (``TIPLINE_CONSOLE_QUEUE_REFRESH_SECONDS``) from ``/console/signalements/actualisation``
and puts it in place; the tab's title counts what waits, and a P1 nobody has claimed raises a
banner. Without script the page is the same list, current when it was loaded.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from starlette.responses import Response

from service.access.deps import AppSettings, Now, Officer
from service.access.permissions import QUEUE_REFRESH_PATH
from service.access.roles import OFFICERS
from service.access.session import DbSession
from service.casework.queue import (
    QueueFilters,
    QueueView,
    build_queue,
    parse_filters,
    what_waits,
)
from service.casework.search import search_tips
from service.casework.vocabulary import CATEGORIES, CHANNELS
from service.console.casework_pages import console_router, label, time_left
from service.console.navigation import NavItem, add_navigation
from service.console.templates import render
from service.models import Antenna
from service.settings import Settings

router = console_router()
QUEUE_PATH = "/console/signalements"
_NOT_CARRIED = frozenset({"fait", "annuler", "q", "apres"})
VIEWS = tuple(view.value for view in QueueView)
add_navigation(NavItem("console.nav.queue", QUEUE_PATH, OFFICERS, order=10))


async def queue_filters(
    session: DbSession,
    officer: Officer,
    vue: str | None = None,
    canal: str | None = None,
    categorie: str | None = None,
    antenne: str | None = None,
    apres: str | None = None,
) -> QueueFilters:
    """The view and filters in the query string (the page's and its refresh's)."""
    return await parse_filters(
        session=session,
        view=vue,
        channel=canal,
        category=categorie,
        antenna=antenne,
        after=apres,
        claimant=officer.id,
    )


Filters = Annotated[QueueFilters, Depends(queue_filters)]


@router.get("/signalements/actualisation")
async def queue_refresh(
    request: Request, session: DbSession, settings: AppSettings, now: Now, filters: Filters
) -> Response:
    """The list alone, for the open page to put in place of its own (``queue_watch.js``).

    Whether this counts as the officer's activity (and keeps their session open) is decided
    with every request, by ``service.access.auth``: only when the page's tab is visible."""
    context = await _queue_context(request, session, settings, now, filters)
    return render(request, "console/_queue_live.html", context)


@router.get("/signalements")
async def queue_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    filters: Filters,
    q: Annotated[str | None, Query(max_length=64)] = None,
    annuler: uuid.UUID | None = None,
) -> Response:
    if q and q.strip():
        return await _search(request, session, q)
    context = await _queue_context(request, session, settings, now, filters)
    antennas = (await session.scalars(select(Antenna).order_by(Antenna.code))).all()
    context |= {
        "channels": CHANNELS,
        "categories": CATEGORIES,
        "antennas": antennas,
        "views": VIEWS,
        "query": "",
        "undo_tip": annuler,  # the tip just closed, whose closure can still be undone
    }
    return render(request, "console/queue.html", context)


async def _queue_context(
    request: Request, session: DbSession, settings: Settings, now: datetime, filters: QueueFilters
) -> dict[str, Any]:
    """What the list shows, and what waits (the tab's count, the P1 banner)."""
    page = await build_queue(session=session, settings=settings, filters=filters, now=now)
    waiting = await what_waits(
        session=session, settings=settings, filters=filters, page=page, now=now
    )
    return {
        "items": page.items,
        "page": page,
        "next_url": _in_queue(request, QUEUE_PATH, after=page.next_cursor)
        if page.next_cursor
        else None,
        "first_url": _in_queue(request, QUEUE_PATH, after=None),
        "filters": filters,
        "waiting": waiting,
        "refresh_url": _in_queue(request, QUEUE_REFRESH_PATH, after=filters.after),
        "refresh_seconds": settings.console_queue_refresh_seconds,
        "time_left": time_left,
        "label": label,
    }


async def _search(request: Request, session: DbSession, query: str) -> Response:
    """One tip found by its reference opens at once; a source's tips are listed."""
    result = await search_tips(session=session, query=query)
    if result.kind == "reference" and len(result.tips) == 1:
        return RedirectResponse(f"/console/signalements/{result.tips[0].id}", status_code=303)
    context = {"result": result, "query": query.strip(), "label": label}
    return render(request, "console/search.html", context)


def _in_queue(request: Request, path: str, *, after: str | None) -> str:
    """``path`` with the request's view and filters, from ``after`` (None: the first page).
    What was just done (``fait``, ``annuler``) is not carried: it was said once."""
    params = [
        (name, value)
        for name, value in request.query_params.multi_items()
        if name not in _NOT_CARRIED
    ]
    if after is not None:
        params.append(("apres", after))
    return f"{path}?{urlencode(params)}" if params else path
