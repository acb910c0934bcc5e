"""Liveness, readiness and Prometheus metrics.

``/metrics`` is served on the API's own port in development only. In production the API process
serves its metrics on an internal listener (``TIPLINE_API_METRICS_HOST``/``_PORT``), like the
worker: request timings and queue depth are no one else's business.
"""

from __future__ import annotations

import asyncio

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from service.core.metrics import QUEUE_DEPTH
from service.models import OutboxEntry
from service.runtime import Runtime

log = structlog.get_logger(__name__)

router = APIRouter(tags=["health"])
metrics_router = APIRouter(tags=["health"])
# How often the internal listener's queue depth is brought up to date.
QUEUE_DEPTH_SECONDS = 15.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    # A process that started with the database down is not ready before its start is finished.
    starting: asyncio.Task[None] | None = getattr(request.app.state, "starting", None)
    started = starting is None or (
        starting.done() and not starting.cancelled() and starting.exception() is None
    )
    database = started and await _database_ok(runtime)
    checks = {"database": database, "queue": await runtime.queue.ping()}
    ready = all(checks.values())
    return JSONResponse(
        status_code=200 if ready else 503,
        content={"status": "ready" if ready else "not_ready", "checks": checks},
    )


@metrics_router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    QUEUE_DEPTH.set(await _pending_jobs(runtime))
    return Response(content=generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def keep_queue_depth(runtime: Runtime) -> None:
    """For the internal listener, which reads the registry without asking the database."""
    while True:
        QUEUE_DEPTH.set(await _pending_jobs(runtime))
        await asyncio.sleep(QUEUE_DEPTH_SECONDS)


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
