"""The casework API, mounted under /api/v1 by the app factory."""

from __future__ import annotations

from fastapi import APIRouter

from service.api import alert_phone, cases, dashboard, tips

router = APIRouter(prefix="/api/v1")
for module in (tips, cases, dashboard, alert_phone):
    router.include_router(module.router)
