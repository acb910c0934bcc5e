"""Sign-in pages: password, TOTP code or enrolment, forced password change, sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from starlette.responses import Response

from service.access.auth import SIGN_IN_PATH, session_policy, staff_session
from service.access.csrf import csrf_protect, use_session_key
from service.access.session import DbSession
from service.console.templates import render
from service.core.audit import record_audit
from service.models import SessionStage, StaffSession, StaffUser
from service.models.types import utcnow
from service.runtime import Runtime
from service.staff import passwords, sessions, totp
from service.staff.sign_in import (
    Refusal,
    check_password,
    claim_second_factor,
    complete_second_factor,
    count_second_factor_failure,
    first_stage,
    pending_user,
)

router = APIRouter(
    prefix="/console",
    dependencies=[Depends(csrf_protect)],
    include_in_schema=False,
    default_response_class=HTMLResponse,
)

CODE_PATH = "/console/connexion/code"
ENROL_PATH = "/console/connexion/enrolement"
PASSWORD_PATH = "/console/mot-de-passe"
HOME_PATH = "/console"
_NEXT_PAGE = {
    SessionStage.TOTP: CODE_PATH,
    SessionStage.ENROL: ENROL_PATH,
    SessionStage.PASSWORD_CHANGE: PASSWORD_PATH,
    SessionStage.ACTIVE: HOME_PATH,
}

LiveSession = Annotated[StaffSession | None, Depends(staff_session)]


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _refused(request: Request, template: str, refusal: Refusal, **context: object) -> Response:
    context |= {"error_key": refusal.key, "wait_seconds": refusal.seconds}
    return render(request, template, context, status_code=refusal.status_code)


def _with_new_session(request: Request, token: str, path: str) -> Response:
    response = _redirect(path)
    sessions.set_session_cookie(response, token, session_policy(request))
    use_session_key(request, token)
    return response


@router.get("/connexion")
async def sign_in_page(request: Request, live: LiveSession) -> Response:
    if live is not None:
        return _redirect(_NEXT_PAGE[SessionStage(live.stage)])
    expired = request.query_params.get("session") == "expiree"
    return render(request, "console/sign_in.html", {"username": "", "expired": expired})


@router.post("/connexion")
async def sign_in(
    request: Request,
    session: DbSession,
    live: LiveSession,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=passwords.MAX_LENGTH)],
) -> Response:
    outcome = await check_password(request, session=session, username=username, password=password)
    if isinstance(outcome, Refusal):
        return _refused(request, "console/sign_in.html", outcome, username=username[:64])
    if live is not None:  # whatever session this browser had ends here: new id
        await session.delete(live)
    await sessions.purge_expired(session=session, policy=session_policy(request))
    stage = first_stage(outcome)
    _row, token = await sessions.open_session(session=session, user_id=outcome.id, stage=stage)
    return _with_new_session(request, token, _NEXT_PAGE[stage])


@router.get("/connexion/code")
async def code_page(request: Request, live: LiveSession) -> Response:
    if live is None or live.stage != SessionStage.TOTP:
        return _redirect(SIGN_IN_PATH)
    return render(request, "console/sign_in_code.html", {})


@router.post("/connexion/code")
async def submit_code(
    request: Request,
    session: DbSession,
    live: LiveSession,
    code: Annotated[str, Form(max_length=16)],
) -> Response:
    if live is None or live.stage != SessionStage.TOTP:
        return _redirect(SIGN_IN_PATH)
    user = await pending_user(session=session, row=live)
    if user is None or user.totp_secret_ciphertext is None:
        await session.delete(live)
        return _redirect(SIGN_IN_PATH)
    if refusal := await claim_second_factor(request, session=session, user=user, row=live):
        return _refused(request, "console/sign_in_code.html", refusal)
    runtime: Runtime = request.app.state.runtime
    secret = totp.open_secret(
        runtime.keyring, user.totp_secret_ciphertext, context=totp.totp_context(user.id)
    )
    if not await _accept_code(session=session, user=user, secret=secret, code=code):
        refusal = await count_second_factor_failure(request, session=session, user=user, row=live)
        return _refused(request, "console/sign_in_code.html", refusal)
    stage = await complete_second_factor(session=session, user=user)
    token = await sessions.rotate_session(session=session, row=live, stage=stage)
    return _with_new_session(request, token, _NEXT_PAGE[stage])


@router.get("/connexion/enrolement")
async def enrolment_page(request: Request, session: DbSession, live: LiveSession) -> Response:
    if live is None or live.stage != SessionStage.ENROL:
        return _redirect(SIGN_IN_PATH)
    user = await pending_user(session=session, row=live)
    if user is None:
        return _redirect(SIGN_IN_PATH)
    secret = _pending_secret(request, live)
    if secret is None:
        secret = totp.new_totp_secret()
        live.pending_totp_ciphertext = totp.seal_secret(
            request.app.state.runtime.keyring, secret, context=totp.pending_totp_context(live.id)
        )
        session.add(live)
    return render(request, "console/sign_in_enrol.html", _enrolment_context(user, secret))


@router.post("/connexion/enrolement")
async def submit_enrolment(
    request: Request,
    session: DbSession,
    live: LiveSession,
    code: Annotated[str, Form(max_length=16)],
) -> Response:
    if live is None or live.stage != SessionStage.ENROL:
        return _redirect(SIGN_IN_PATH)
    user = await pending_user(session=session, row=live)
    secret = _pending_secret(request, live)
    if user is None or secret is None:
        return _redirect(SIGN_IN_PATH if user is None else ENROL_PATH)
    if refusal := await claim_second_factor(request, session=session, user=user, row=live):
        return _refused(request, "console/sign_in.html", refusal, username="")
    if not await _accept_code(session=session, user=user, secret=secret, code=code):
        refusal = await count_second_factor_failure(request, session=session, user=user, row=live)
        context = _enrolment_context(user, secret)
        return _refused(request, "console/sign_in_enrol.html", refusal, **context)
    user.totp_secret_ciphertext = totp.seal_secret(
        request.app.state.runtime.keyring, secret, context=totp.totp_context(user.id)
    )
    await record_audit(session=session, actor=user, action="totp_enrolled")
    stage = await complete_second_factor(session=session, user=user)
    token = await sessions.rotate_session(session=session, row=live, stage=stage)
    return _with_new_session(request, token, _NEXT_PAGE[stage])


@router.post("/deconnexion")
async def sign_out(request: Request, session: DbSession, live: LiveSession) -> Response:
    if live is not None:
        user = await session.get(StaffUser, live.user_id)
        if live.stage == SessionStage.ACTIVE and user is not None:
            await record_audit(session=session, actor=user, action="sign_out")
        await session.delete(live)
    response = _redirect(SIGN_IN_PATH)
    sessions.clear_session_cookie(response, session_policy(request))
    return response


async def _accept_code(*, session: DbSession, user: StaffUser, secret: str, code: str) -> bool:
    """Check a code against ``secret``; a code already used (same or older step) is refused."""
    after = await totp.last_step(session=session, user_id=user.id)
    step = totp.matching_step(secret, code, now=utcnow(), after=after)
    if step is None:
        return False
    await totp.remember_step(session=session, user_id=user.id, step=step)
    return True


def _pending_secret(request: Request, live: StaffSession) -> str | None:
    if live.pending_totp_ciphertext is None:
        return None
    return totp.open_secret(
        request.app.state.runtime.keyring,
        live.pending_totp_ciphertext,
        context=totp.pending_totp_context(live.id),
    )


def _enrolment_context(user: StaffUser, secret: str) -> dict[str, object]:
    uri = totp.provisioning_uri(secret, user.username)
    # segno draws the SVG from the URI alone; nothing user-typed reaches it unescaped.
    return {"qr_svg": Markup(totp.qr_svg(uri)), "secret": totp.grouped(secret)}
