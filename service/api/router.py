"""The staff JSON API, mounted under /api/v1 by the app factory: every API router, in order."""

from __future__ import annotations

from fastapi import APIRouter

from service.api import admin, alert_phone, cases, dashboard, me, tips

router = APIRouter(prefix="/api/v1")
for module in (me, admin, tips, cases, dashboard, alert_phone):
    router.include_router(module.router)
