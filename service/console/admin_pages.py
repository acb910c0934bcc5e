"""Administration pages: staff accounts (admin) and antennas (admin, supervisor)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from service.access.auth import require_roles
from service.access.csrf import csrf_protect
from service.access.session import DbSession
from service.antennas import admin as antenna_admin
from service.antennas.admin import AntennaRefused
from service.console.templates import render
from service.models import Role, StaffUser
from service.staff import admin as staff_admin
from service.staff.admin import AccountRefused, NewPassword

router = APIRouter(
    prefix="/console/admin",
    dependencies=[Depends(csrf_protect)],
    include_in_schema=False,
    default_response_class=HTMLResponse,
)

Admin = Annotated[StaffUser, Depends(require_roles(Role.ADMIN))]
AntennaManager = Annotated[StaffUser, Depends(require_roles(Role.ADMIN, Role.SUPERVISOR))]
USERS_PATH = "/console/admin/utilisateurs"
ANTENNAS_PATH = "/console/admin/antennes"


async def _users_page(
    request: Request,
    session: DbSession,
    *,
    created: NewPassword | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "users": await staff_admin.list_accounts(session=session),
        "antennas": await antenna_admin.list_antennas(session=session),
        "roles": list(Role),
        "new_password": created,
        "error": error,
    }
    return render(request, "console/admin_users.html", context, status_code=status_code)


@router.get("/utilisateurs")
async def users_page(request: Request, session: DbSession, _admin: Admin) -> Response:
    return await _users_page(request, session)


@router.post("/utilisateurs")
async def create_user(
    request: Request,
    session: DbSession,
    admin: Admin,
    username: Annotated[str, Form(max_length=64)],
    role: Annotated[Role, Form()],
    antenna: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    try:
        created = await staff_admin.create_account(
            session=session, actor=admin, username=username.strip(), role=role, antenna=antenna
        )
    except AccountRefused as error:
        return await _users_page(request, session, error=error.message, status_code=422)
    return await _users_page(request, session, created=created)


@router.post("/utilisateurs/{user_id}/role")
async def change_role(
    request: Request,
    session: DbSession,
    admin: Admin,
    user_id: uuid.UUID,
    role: Annotated[Role, Form()],
    antenna: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    user = await staff_admin.get_account(session=session, user_id=user_id)
    try:
        await staff_admin.change_role(
            session=session, actor=admin, user=user, role=role, antenna=antenna
        )
    except AccountRefused as error:
        return await _users_page(request, session, error=error.message, status_code=422)
    return RedirectResponse(USERS_PATH, status_code=303)


@router.post("/utilisateurs/{user_id}/desactivation")
async def disable_user(
    request: Request, session: DbSession, admin: Admin, user_id: uuid.UUID
) -> Response:
    return await _set_disabled(request, session, admin, user_id, disabled=True)


@router.post("/utilisateurs/{user_id}/reactivation")
async def enable_user(
    request: Request, session: DbSession, admin: Admin, user_id: uuid.UUID
) -> Response:
    return await _set_disabled(request, session, admin, user_id, disabled=False)


async def _set_disabled(
    request: Request, session: DbSession, admin: StaffUser, user_id: uuid.UUID, *, disabled: bool
) -> Response:
    user = await staff_admin.get_account(session=session, user_id=user_id)
    try:
        await staff_admin.set_disabled(session=session, actor=admin, user=user, disabled=disabled)
    except AccountRefused as error:
        return await _users_page(request, session, error=error.message, status_code=422)
    return RedirectResponse(USERS_PATH, status_code=303)


@router.post("/utilisateurs/{user_id}/totp")
async def reset_totp(session: DbSession, admin: Admin, user_id: uuid.UUID) -> Response:
    user = await staff_admin.get_account(session=session, user_id=user_id)
    await staff_admin.reset_totp(session=session, actor=admin, user=user)
    return RedirectResponse(USERS_PATH, status_code=303)


@router.post("/utilisateurs/{user_id}/mot-de-passe")
async def reset_password(
    request: Request, session: DbSession, admin: Admin, user_id: uuid.UUID
) -> Response:
    user = await staff_admin.get_account(session=session, user_id=user_id)
    created = await staff_admin.reset_password(session=session, actor=admin, user=user)
    return await _users_page(request, session, created=created)


@router.get("/antennes")
async def antennas_page(request: Request, session: DbSession, _staff: AntennaManager) -> Response:
    return await _antennas_page(request, session)


@router.post("/antennes/{code}")
async def update_antenna(
    request: Request,
    session: DbSession,
    staff: AntennaManager,
    code: str,
    operational: Annotated[str, Form(max_length=8)] = "",
    fallback: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    antenna = await antenna_admin.get_antenna(session=session, code=code)
    try:
        await antenna_admin.update_antenna(
            session=session,
            actor=staff,
            antenna=antenna,
            operational=operational == "on",
            fallback=fallback,
        )
    except AntennaRefused as error:
        return await _antennas_page(request, session, error=error.message, status_code=422)
    return RedirectResponse(ANTENNAS_PATH, status_code=303)


async def _antennas_page(
    request: Request, session: DbSession, *, error: str | None = None, status_code: int = 200
) -> Response:
    context = {"antennas": await antenna_admin.list_antennas(session=session), "error": error}
    return render(request, "console/admin_antennas.html", context, status_code=status_code)
