"""Changing one's password: forced after the first sign-in, or at will once signed in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import delete
from sqlmodel import col
from starlette.responses import Response

from service.access.auth import SIGN_IN_PATH, show_as_signed_in, staff_session
from service.access.csrf import csrf_protect
from service.access.session import DbSession
from service.console.templates import render
from service.core.audit import record_audit
from service.models import SessionStage, StaffSession, StaffUser
from service.models.types import utcnow
from service.staff import lockout, passwords

router = APIRouter(
    prefix="/console",
    dependencies=[Depends(csrf_protect)],
    include_in_schema=False,
    default_response_class=HTMLResponse,
)

_ALLOWED_STAGES = (SessionStage.PASSWORD_CHANGE, SessionStage.ACTIVE)
LiveSession = Annotated[StaffSession | None, Depends(staff_session)]


async def _signed_in_user(
    request: Request, session: DbSession, live: StaffSession | None
) -> StaffUser | None:
    if live is None or live.stage not in _ALLOWED_STAGES:
        return None
    user = await session.get(StaffUser, live.user_id)
    if user is None or user.disabled:
        return None
    if live.stage == SessionStage.ACTIVE:
        show_as_signed_in(request, user)  # the navigation shows once fully signed in
    return user


@router.get("/mot-de-passe")
async def password_page(request: Request, session: DbSession, live: LiveSession) -> Response:
    user = await _signed_in_user(request, session, live)
    if user is None or live is None:
        return RedirectResponse(SIGN_IN_PATH, status_code=303)
    return render(request, "console/password.html", {"forced": live.stage != SessionStage.ACTIVE})


@router.post("/mot-de-passe")
async def change_password(
    request: Request,
    session: DbSession,
    live: LiveSession,
    new_password: Annotated[str, Form(max_length=passwords.MAX_LENGTH + 1)],
    confirmation: Annotated[str, Form(max_length=passwords.MAX_LENGTH + 1)],
    current_password: Annotated[str, Form(max_length=passwords.MAX_LENGTH + 1)] = "",
) -> Response:
    user = await _signed_in_user(request, session, live)
    if user is None or live is None:
        return RedirectResponse(SIGN_IN_PATH, status_code=303)
    forced = live.stage != SessionStage.ACTIVE
    if not forced:
        # The current password is a password guess like any other: counted first, then checked.
        refusal = await _claim_current_password(request, session, user, current_password)
        if refusal is not None:
            return refusal
    problem = await _problem(user, forced, current_password, new_password, confirmation)
    if problem is not None:
        context = {"forced": forced, "error_key": problem}
        return render(request, "console/password.html", context, status_code=422)
    user.password_hash = await passwords.hash_password(new_password)
    user.must_change_password = False
    session.add(user)
    live.stage = SessionStage.ACTIVE
    session.add(live)
    # Every other browser signed in as this person is signed out.
    await session.execute(
        delete(StaffSession).where(
            col(StaffSession.user_id) == user.id, col(StaffSession.id) != live.id
        )
    )
    await record_audit(session=session, actor=user, action="password_changed")
    return RedirectResponse("/console?mot_de_passe=change", status_code=303)


async def _claim_current_password(
    request: Request, session: DbSession, user: StaffUser, current: str
) -> Response | None:
    """None when ``current`` is right (its attempt taken back); else the page refusing it."""
    policy = lockout.LockoutPolicy.from_settings(request.app.state.settings)
    wait = await lockout.claim_account(session=session, user=user, policy=policy, now=utcnow())
    if wait is not None:
        seconds = max(1, int(wait.total_seconds()) + 1)
        context = {"forced": False, "error_key": "console.sign_in.account_wait"}
        return render(
            request, "console/password.html", context | {"wait_seconds": seconds}, status_code=429
        )
    if not await passwords.verify_password(user.password_hash, current):
        details = {"reason": "current_password", "failures": str(user.failed_sign_ins)}
        await record_audit(session=session, actor=user, action="sign_in_failed", details=details)
        context = {"forced": False, "error_key": "console.password.current_wrong"}
        return render(request, "console/password.html", context, status_code=422)
    await lockout.release_account(session=session, user=user)
    return None


async def _problem(
    user: StaffUser, forced: bool, current: str, new: str, confirmation: str
) -> str | None:
    # A forced change follows a sign-in with both factors seconds ago; otherwise ask again.
    if not forced and not await passwords.verify_password(user.password_hash, current):
        return "console.password.current_wrong"
    problem = passwords.password_problem(new, confirmation, username=user.username)
    if problem is None and await passwords.verify_password(user.password_hash, new):
        return "console.password.unchanged"
    return problem
