"""No console page or API answer carries a reporter's phone number, whoever looks.

A citizen texts in through the signed SMS webhook; officers then look at their pages; then every
role opens every console page and API read operation in the route table (ids filled with the
real tip and case where a route takes one), and every answer is searched for the number.
"""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from service.models import Role
from service.settings import Settings
from tests.support.app import http_client
from tests.support.casework import new_sender, received_tip
from tests.support.console import create_staff, session_client


def phone_forms(number: str) -> list[str]:
    """The ways a Malian number can be written: +223…, 00223…, 223…, the local eight digits."""
    local = number.removeprefix("+223")
    spaced = " ".join(local[i : i + 2] for i in range(0, 8, 2))
    return [number, "00" + number[1:], number[1:], local, spaced]


def read_routes(app: FastAPI, samples: dict[str, str]) -> list[str]:
    urls = []
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if not isinstance(route.original_route, APIRoute) or "GET" not in (route.methods or ()):
            continue
        if not path.startswith(("/console", "/api/v1")):
            continue
        for param in route.dependant.path_params:
            path = path.replace("{" + param.name + "}", samples.get(param.name, str(uuid.uuid4())))
        urls.append(path)
    return urls


async def test_no_page_or_api_answer_shows_the_reporters_number(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    sender = new_sender()
    tip = await received_tip(
        app, client, settings.resolved_database_url, "yamba ka feere Kalaban coura ce soir", sender
    )
    samples = {"tip_id": str(tip.id), "reference": tip.reference}
    answers: list[httpx.Response] = []
    for role in Role:
        account = await create_staff(settings, role=role)
        async with session_client(app, settings, account) as http:
            answers += [await http.get(url) for url in read_routes(app, samples)]
    async with http_client(app) as anonymous:
        answers.append(await anonymous.get("/console/connexion"))

    assert len([a for a in answers if a.status_code == 200]) >= 20  # the pages were really seen
    assert any(tip.reference in a.text for a in answers)  # including ones that show the tip
    for answer in answers:
        for form in phone_forms(sender):
            assert form not in answer.text, f"{answer.request.url} shows {form!r}"
