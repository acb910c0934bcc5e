"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from service.core.metrics import QUEUE_DEPTH
from service.models import OutboxEntry
from service.runtime import Runtime

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    checks = {"database": await _database_ok(runtime), "queue": await runtime.queue.ping()}
    ready = all(checks.values())
    return JSONResponse(
        status_code=200 if ready else 503,
        content={"status": "ready" if ready else "not_ready", "checks": checks},
    )


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    QUEUE_DEPTH.set(await _pending_jobs(runtime))
    return Response(content=generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def _pending_jobs(runtime: Runtime) -> int:
    try:
        async with runtime.sessions() as session:
            pending = select(func.count()).select_from(OutboxEntry)
            return int(
                await session.scalar(pending.where(col(OutboxEntry.completed_at).is_(None))) or 0
            )
    except (SQLAlchemyError, OSError):
        return -1


async def _database_ok(runtime: Runtime) -> bool:
    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return False
    return True
