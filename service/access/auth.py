"""Who is asking: the signed-in staff member behind the session cookie, and role checks."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import delete
from sqlmodel import col

from channels.errors import Forbidden, TiplineError
from service.access.session import DbSession
from service.core.db import transaction
from service.models import Role, SessionStage, StaffSession, StaffUser
from service.models.types import utcnow
from service.runtime import Runtime
from service.staff.sessions import SESSION_COOKIE, SessionPolicy, find_session, touch

API_PREFIX = "/api/v1"
SIGN_IN_PATH = "/console/connexion"
# Sent by a page that refreshes itself (the queue, ``queue_watch.js``): "visible" when its tab
# is on screen (``document.visibilityState``), "hidden" when it is not.
TAB_HEADER = "X-Tipline-Tab"


@dataclass(frozen=True)
class StaffView:
    """What pages show of the signed-in person; still readable after a rollback expired the row."""

    id: uuid.UUID
    username: str
    role: Role
    antenna_code: str | None

    @classmethod
    def of(cls, user: StaffUser) -> StaffView:
        return cls(user.id, user.username, Role(user.role), user.antenna_code)


class NotSignedIn(TiplineError):
    """Rendered as 401 JSON under /api/v1 and as a 303 to the sign-in page in the console."""

    status_code = 401
    code = "not_signed_in"
    message = "Connexion requise."


def session_policy(request: Request) -> SessionPolicy:
    return SessionPolicy.from_settings(request.app.state.settings)


async def staff_session(request: Request, session: DbSession) -> StaffSession | None:
    """The live session the cookie names, at any stage of sign-in, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    row = await find_session(session=session, token=token)
    if row is None:
        return None
    if session_policy(request).expired(row, utcnow()):
        await _forget_session(request, row.id)
        return None
    return row


async def _forget_session(request: Request, session_id: uuid.UUID) -> None:
    """In a unit of work of its own: the request's may roll back (it is about to refuse)."""
    runtime: Runtime = request.app.state.runtime
    async with transaction(runtime.sessions) as own:
        await own.execute(delete(StaffSession).where(col(StaffSession.id) == session_id))


async def current_staff(request: Request, session: DbSession) -> StaffUser:
    """The signed-in staff member (both factors checked, password changed), or NotSignedIn."""
    row = await staff_session(request, session)
    if row is None or row.stage != SessionStage.ACTIVE:
        raise NotSignedIn()
    user = await session.get(StaffUser, row.user_id)
    if user is None or user.disabled:
        await _forget_session(request, row.id)
        raise NotSignedIn()
    if someone_at_the_screen(request):
        touch(row, utcnow())  # after the checks: nothing is written before a refusal
    show_as_signed_in(request, user)
    request.state.staff_session = row
    return user


def someone_at_the_screen(request: Request) -> bool:
    """Whether this request shows someone is there, and so holds the session's idle limit off.

    An open queue page refreshes itself (every ``console_queue_refresh_seconds``): an officer
    watching it on screen must not be signed out for not clicking, but a tab left in the
    background, or behind a locked screen (browsers report both as hidden), must not keep a
    session open forever either. So a refresh from a visible tab counts as activity, one from a
    hidden tab does not; every request without the header (a click, a form) counts as ever."""
    return request.headers.get(TAB_HEADER, "visible") != "hidden"


def show_as_signed_in(request: Request, user: StaffUser) -> None:
    """Pages rendered for this request show ``user``'s name and navigation."""
    request.state.staff = StaffView.of(user)


CurrentStaff = Annotated[StaffUser, Depends(current_staff)]


def require_roles(*roles: Role) -> Callable[..., Awaitable[StaffUser]]:
    """A dependency yielding the signed-in staff member when their role is one of ``roles``."""
    allowed = frozenset(roles)

    async def staff_with_role(staff: CurrentStaff) -> StaffUser:
        if staff.role not in allowed:
            raise Forbidden()
        return staff

    return staff_with_role


def is_api_request(request: Request) -> bool:
    path: str = request.url.path
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def staff_of(request: Request) -> StaffView | None:
    """The staff member ``current_staff`` found for this request, if it ran."""
    staff: Any = getattr(request.state, "staff", None)
    return staff if isinstance(staff, StaffView) else None
