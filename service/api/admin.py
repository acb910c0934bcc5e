"""``/api/v1/users``, ``/api/v1/antennas`` and ``/api/v1/audit``: the admin pages' operations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from service.access.auth import require_roles
from service.access.csrf import csrf_protect
from service.access.deps import PageNumber
from service.access.roles import AUDIT_READERS
from service.access.session import DbSession
from service.antennas import admin as antenna_admin
from service.core.audit import AuditPage, audit_page
from service.models import Antenna, Role, StaffUser
from service.staff import admin as staff_admin
from service.staff.schemas import (
    AntennaPublic,
    AntennaUpdate,
    PasswordReset,
    StaffCreate,
    StaffCreated,
    StaffPublic,
    StaffUpdate,
)

router = APIRouter(tags=["console"], dependencies=[Depends(csrf_protect)])

Admin = Annotated[StaffUser, Depends(require_roles(Role.ADMIN))]
AntennaManager = Annotated[StaffUser, Depends(require_roles(Role.ADMIN, Role.SUPERVISOR))]


@router.get("/users", response_model=list[StaffPublic])
async def list_users(session: DbSession, _admin: Admin) -> list[StaffPublic]:
    return [StaffPublic.of(user) for user in await staff_admin.list_accounts(session=session)]


@router.post("/users", response_model=StaffCreated, status_code=201)
async def create_user(body: StaffCreate, session: DbSession, admin: Admin) -> StaffCreated:
    created = await staff_admin.create_account(
        session=session,
        actor=admin,
        username=body.username,
        role=body.role,
        antenna=body.antenna_code,
    )
    return StaffCreated(
        user=StaffPublic.of(created.user), one_time_password=created.one_time_password
    )


@router.patch("/users/{user_id}", response_model=StaffPublic)
async def update_user(
    user_id: uuid.UUID, body: StaffUpdate, session: DbSession, admin: Admin
) -> StaffPublic:
    user = await staff_admin.get_account(session=session, user_id=user_id)
    if body.role is not None or "antenna_code" in body.model_fields_set:
        role = body.role or Role(user.role)
        antenna = (
            body.antenna_code if "antenna_code" in body.model_fields_set else user.antenna_code
        )
        await staff_admin.change_role(
            session=session, actor=admin, user=user, role=role, antenna=antenna
        )
    if body.disabled is not None and body.disabled != user.disabled:
        await staff_admin.set_disabled(
            session=session, actor=admin, user=user, disabled=body.disabled
        )
    return StaffPublic.of(user)


@router.post("/users/{user_id}/totp-reset", response_model=StaffPublic)
async def reset_totp(user_id: uuid.UUID, session: DbSession, admin: Admin) -> StaffPublic:
    user = await staff_admin.get_account(session=session, user_id=user_id)
    await staff_admin.reset_totp(session=session, actor=admin, user=user)
    return StaffPublic.of(user)


@router.post("/users/{user_id}/password-reset", response_model=PasswordReset)
async def reset_password(user_id: uuid.UUID, session: DbSession, admin: Admin) -> PasswordReset:
    user = await staff_admin.get_account(session=session, user_id=user_id)
    reset = await staff_admin.reset_password(session=session, actor=admin, user=user)
    return PasswordReset(user=StaffPublic.of(user), one_time_password=reset.one_time_password)


@router.get("/antennas", response_model=list[AntennaPublic])
async def list_antennas(session: DbSession, _staff: AntennaManager) -> list[AntennaPublic]:
    return [_antenna(antenna) for antenna in await antenna_admin.list_antennas(session=session)]


@router.patch("/antennas/{code}", response_model=AntennaPublic)
async def update_antenna(
    code: str, body: AntennaUpdate, session: DbSession, staff: AntennaManager
) -> AntennaPublic:
    antenna = await antenna_admin.get_antenna(session=session, code=code)
    fallback = body.fallback if "fallback" in body.model_fields_set else antenna.fallback
    operational = body.operational if body.operational is not None else antenna.operational
    await antenna_admin.update_antenna(
        session=session, actor=staff, antenna=antenna, operational=operational, fallback=fallback
    )
    return _antenna(antenna)


@router.get(
    "/audit",
    response_model=AuditPage,
    dependencies=[Depends(require_roles(*AUDIT_READERS))],
)
async def audit_trail(session: DbSession, page: PageNumber = 1) -> AuditPage:
    return await audit_page(session=session, page=page)


def _antenna(antenna: Antenna) -> AntennaPublic:
    return AntennaPublic(
        code=antenna.code,
        name=antenna.name,
        seat=antenna.seat,
        operational=antenna.operational,
        fallback=antenna.fallback,
    )
