"""``/api/v1/me`` and ``/api/v1/rules``: who is signed in, and which rules are in force."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from service.access.auth import CurrentStaff, require_roles
from service.access.csrf import csrf_protect, csrf_token
from service.access.deps import rules_version
from service.access.roles import RULES_VIEWERS
from service.staff.schemas import MePublic, RulesVersion, StaffPublic

router = APIRouter(tags=["console"], dependencies=[Depends(csrf_protect)])


@router.get("/me", response_model=MePublic)
async def me(request: Request, staff: CurrentStaff) -> MePublic:
    public = StaffPublic.of(staff).model_dump()
    return MePublic(**public, csrf_token=csrf_token(request))


@router.get(
    "/rules",
    response_model=RulesVersion,
    dependencies=[Depends(require_roles(*RULES_VIEWERS))],
)
async def rules(request: Request) -> RulesVersion:
    return RulesVersion(version=rules_version(request))
