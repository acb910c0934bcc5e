"""Case lists a page at a time: a chief's antenna holds years of cases."""

from __future__ import annotations

import html
import re

from fastapi import FastAPI

from service.casework.cases import COUNT_LIMIT
from service.models import Role, TipStatus
from service.models.types import utcnow
from service.settings import Settings
from tests.support.backlog import add_backlog, add_cases
from tests.support.console import create_staff, session_client


async def test_a_chief_pages_through_the_antennas_cases_most_recent_first(
    app: FastAPI, settings: Settings
) -> None:
    url = settings.resolved_database_url
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")
    now = utcnow()
    tips = await add_backlog(url, count=120, priority="P2", newest=now, status=TipStatus.ROUTED)
    ours = await add_cases(url, tips[:110], antenna="BKO-RD", routed=now)
    await add_cases(url, tips[110:], antenna="SIK", routed=now)
    seen: list[str] = []
    async with session_client(app, settings, chief) as http:
        params: dict[str, str] = {}
        while True:
            page = (await http.get("/api/v1/cases", params=params)).json()
            assert (page["total"], page["counts"]["nouveau"]) == (110, 110)
            assert len(page["items"]) <= 50
            seen += [item["id"] for item in page["items"]]
            if page["next"] is None:
                break
            params = {"after": page["next"]}
        first = await http.get("/console/dossiers")
        older = re.search(r'href="([^"]+)" id="cases-next"', first.text)
        assert older is not None
        second = await http.get(html.unescape(older.group(1)))
        forged = await http.get("/api/v1/cases", params={"after": "x"})

    assert seen == [str(case) for case in reversed(ours)]
    assert "50 affichés sur 110, les plus récents d&#39;abord." in first.text
    assert str(ours[-51]) in second.text
    assert str(ours[-50]) not in second.text
    assert forged.status_code == 422


async def test_years_of_closed_cases_are_counted_up_to_the_limit_and_said_so(
    app: FastAPI, settings: Settings
) -> None:
    """Past 1,000 closed cases the count stops and reads "1 000+" (Babel's narrow space):
    counting an antenna's whole history on every page would grow with the years. Open cases are
    still counted exactly."""
    url = settings.resolved_database_url
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")
    now = utcnow()
    closed = await add_backlog(
        url, count=COUNT_LIMIT + 5, priority="P3", newest=now, status=TipStatus.CLOSED
    )
    await add_cases(url, closed, antenna="BKO-RD", routed=now, closed=True)
    waiting = await add_backlog(url, count=3, priority="P1", newest=now, status=TipStatus.ROUTED)
    await add_cases(url, waiting, antenna="BKO-RD", routed=now)

    async with session_client(app, settings, chief) as http:
        everything = (await http.get("/api/v1/cases")).json()
        open_only = (await http.get("/console/dossiers")).text
        closed_page = (await http.get("/console/dossiers", params={"statut": "clos"})).text

    assert everything["counts"]["clos"] == COUNT_LIMIT
    assert everything["counts_past_limit"] == ["clos"]
    assert (everything["total"], everything["total_is_floor"]) == (COUNT_LIMIT + 3, True)
    assert everything["counts"]["nouveau"] == 3
    assert 'data-status="clos">1\u202f000+</span>' in closed_page
    assert "50 affichés sur plus de 1\u202f000, les plus récents d&#39;abord." in closed_page
    assert "3 affichés sur 3, les plus récents d&#39;abord." in open_only
