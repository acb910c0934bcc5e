"""Who is asking: the signed-in staff member behind the session cookie, and role checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from channels.errors import Forbidden, TiplineError
from service.console.db import DbSession
from service.console.sessions import SESSION_COOKIE, SessionPolicy, find_session
from service.models import Role, SessionStage, StaffSession, StaffUser

API_PREFIX = "/api/v1"
SIGN_IN_PATH = "/console/connexion"


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
    return await find_session(session=session, token=token, policy=session_policy(request))


async def current_staff(request: Request, session: DbSession) -> StaffUser:
    """The signed-in staff member (both factors checked, password changed), or NotSignedIn."""
    row = await staff_session(request, session)
    if row is None or row.stage != SessionStage.ACTIVE:
        raise NotSignedIn()
    user = await session.get(StaffUser, row.user_id)
    if user is None or user.disabled:
        await session.delete(row)
        raise NotSignedIn()
    request.state.staff = user
    request.state.staff_session = row
    return user


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


def staff_of(request: Request) -> StaffUser | None:
    """The staff member ``current_staff`` found for this request, if it ran."""
    staff: Any = getattr(request.state, "staff", None)
    return staff if isinstance(staff, StaffUser) else None
