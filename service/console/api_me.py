"""``/api/v1/me`` and ``/api/v1/rules``: who is signed in, and which rules are in force."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from service.console.auth import CurrentStaff, require_roles
from service.console.csrf import csrf_protect, csrf_token
from service.console.home_pages import RULES_VIEWERS, rules_version
from service.console.schemas import MePublic, RulesVersion, StaffPublic

router = APIRouter(prefix="/api/v1", tags=["console"], dependencies=[Depends(csrf_protect)])


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
