"""``/console/standard/saisie``: an operator answering the green number types the caller's tip,
then reads its reference out.

The form carries a fresh entry id each time it is shown: posting it twice (a double click, a
reload of the answer) files one tip and shows the same reference. The audit trail records who
entered which reference, never what was said.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Annotated

from fastapi import Depends, Form, Request
from starlette.responses import Response

from channels.hotline.operator import MAX_PLACE_CHARS, MAX_TEXT_CHARS, enter_operator_tip
from channels.ports import IntakePort
from channels.web.places import PlaceGroup, load_places, place_values
from service.access.auth import require_roles
from service.access.permissions import ENTRY_PATH
from service.access.roles import HOTLINE_OPERATORS
from service.access.session import DbSession
from service.antennas.defaults import ROUTING_REFERENCE
from service.console.casework_pages import console_router
from service.console.navigation import NavItem, add_navigation
from service.console.templates import render
from service.core.audit import record_audit
from service.models import StaffUser

router = console_router()
add_navigation(NavItem("console.nav.hotline_entry", ENTRY_PATH, HOTLINE_OPERATORS, order=12))

HotlineOperator = Annotated[StaffUser, Depends(require_roles(*HOTLINE_OPERATORS))]
# Generous bounds that only stop abuse; the real limits answer with a message and keep the text.
FormText = Annotated[str, Form(max_length=4 * MAX_TEXT_CHARS)]
FormPlace = Annotated[str, Form(max_length=4 * MAX_PLACE_CHARS)]


def places() -> tuple[PlaceGroup, ...]:
    """The web form's list: exactly the names triage recognises."""
    return load_places(ROUTING_REFERENCE)


@cache
def known_places() -> frozenset[str]:
    return place_values(places())


def intake_of(request: Request) -> IntakePort:
    intake: IntakePort = request.app.state.intake
    return intake


@router.get("/standard/saisie")
async def entry_form(request: Request, _operator: HotlineOperator) -> Response:
    return _form_page(request, entry_id=uuid.uuid4())


@router.post("/standard/saisie")
async def enter_tip(
    request: Request,
    session: DbSession,
    operator: HotlineOperator,
    text: FormText = "",
    place: FormPlace = "",
    place_detail: FormPlace = "",
    entry_id: Annotated[uuid.UUID | None, Form()] = None,
) -> Response:
    values = {"text": text, "place": place, "place_detail": place_detail}
    error = _problem(text.strip(), place, place_detail.strip())
    if error is not None:
        return _form_page(
            request, entry_id=entry_id or uuid.uuid4(), values=values, error=error, status_code=422
        )
    receipt = await enter_operator_tip(
        intake=intake_of(request),
        text=text,
        # The place picked from the list first: it routes; the detail only refines it (triage).
        place=", ".join(part for part in (place, place_detail.strip()) if part) or None,
        operator_id=operator.id,
        entry_id=entry_id,
    )
    if not receipt.replayed:
        await record_audit(
            session=session, actor=operator, action="tip.entered", target=f"tip:{receipt.reference}"
        )
    context = {"reference": receipt.reference, "groups": receipt.reference.split("-")}
    return render(request, "console/hotline_entered.html", context)


def _problem(text: str, place: str, place_detail: str) -> str | None:
    """The catalogue key of what is wrong with the form, or None."""
    if not text:
        return "console.hotline.error.empty"
    if len(text) > MAX_TEXT_CHARS:
        return "console.hotline.error.too_long"
    if place and place not in known_places():
        return "console.hotline.error.place"
    if len(place) + len(place_detail) + 2 > MAX_PLACE_CHARS:
        return "console.hotline.error.place_too_long"
    return None


def _form_page(
    request: Request,
    *,
    entry_id: uuid.UUID,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "entry_id": entry_id,
        "places": places(),
        "values": values or {},
        "error": error,
        "max_chars": MAX_TEXT_CHARS,
        "max_place_chars": MAX_PLACE_CHARS,
    }
    return render(request, "console/hotline_entry.html", context, status_code=status_code)
