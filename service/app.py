"""The FastAPI application factory: middleware, error handlers, and the one ordered list of
routers (the JSON API's own in ``service.api.router``)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from channels.hotline import voice
from channels.rate_limit import SlidingWindowLimiter
from channels.sms import status
from channels.sms.webhook import router as sms_router
from channels.twilio_webhook import TwilioWebhookConfig
from channels.web import followup, form
from service.api import description
from service.api.router import router as api_router
from service.background.process import serve_metrics
from service.bootstrap import seed_when_reachable
from service.citizen_channels import (
    attach_channel_services,
    channel_body_limits,
    install_channels,
    install_citizen_error_pages,
)
from service.console import (
    STATIC_DIR,
    admin_pages,
    audit_pages,
    call_entry_pages,
    case_pages,
    dashboard_pages,
    home_pages,
    password_pages,
    queue_pages,
    sign_in_pages,
    tip_pages,
    voicemail_pages,
)
from service.console.error_pages import install_console_error_pages
from service.console.headers import ConsoleSecurityHeaders, StrictTransportSecurity
from service.core.errors import install_error_handlers
from service.core.limits import BodySizeLimit
from service.core.logging import RequestLog
from service.health import keep_queue_depth, metrics_router
from service.health import router as health_router
from service.settings import Settings
from service.staff.lockout import ClientThrottle
from service.startup import open_process

# In the order they are matched. The SMS webhook first: it is the one taken hundreds of times a
# second (matching through the console's routers first cost 80 µs a webhook).
ROUTERS: tuple[APIRouter, ...] = (
    sms_router,
    health_router,
    # The console's core: sign-in, password, home, administration, audit trail.
    sign_in_pages.router,
    password_pages.router,
    home_pages.router,
    admin_pages.router,
    audit_pages.router,
    # The citizens' pages and Twilio's callbacks.
    form.router,
    followup.router,
    voice.router,
    status.router,
    # Casework: the duty officers' queue and tips, the chiefs' cases, the dashboard.
    queue_pages.router,
    tip_pages.router,
    case_pages.router,
    dashboard_pages.router,
    # The hotline operators: calls typed live, voicemails transcribed.
    call_entry_pages.router,
    voicemail_pages.router,
    # The staff JSON API under /api/v1.
    api_router,
)


def create_app(
    settings: Settings | None = None, *, freeze_gc: bool = False, database_started: bool = True
) -> FastAPI:
    """``freeze_gc``: for a long-lived server process (``tipline serve``), see below.
    ``database_started`` False: the database did not answer at start-up; its part of the start
    is done once it does, and until then ``/readyz`` answers not ready."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        process = await open_process(settings)
        app.state.runtime = process.runtime
        if not database_started:
            app.state.starting = asyncio.create_task(
                seed_when_reachable(process.runtime.sessions, every=settings.spool_replay_seconds)
            )
            process.runtime.background.append(app.state.starting)
        app.state.intake = process.intake
        app.state.spool = process.spool
        attach_channel_services(app, process.runtime)
        app.state.client_throttle = ClientThrottle(store=process.runtime.attempts)
        if settings.in_production:
            serve_metrics(settings.api_metrics_port, settings.api_metrics_host, process="api")
            process.runtime.background.append(
                asyncio.create_task(keep_queue_depth(process.runtime))
            )
        if freeze_gc:
            # What start-up built (rules, gazetteer automaton, mappers, routes) lives as long as
            # the process: kept out of the cyclic collector, whose full passes over it stalled
            # intake for 100-200 ms (bench/README.md).
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            await process.close()

    # In production the API's description is for signed-in staff (service.api.description).
    public = not settings.in_production
    app = FastAPI(
        title="Tipline — OCS",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url="/openapi.json" if public else None,
        docs_url="/docs" if public else None,
        redoc_url="/redoc" if public else None,
    )
    app.state.settings = settings
    token = None
    if settings.twilio_configured and settings.twilio_auth_token is not None:
        token = settings.twilio_auth_token.get_secret_value()
    app.state.twilio_webhook_config = TwilioWebhookConfig(
        auth_token=token,
        public_base_url=settings.public_base_url,
        account_sid=settings.twilio_account_sid,
    )
    app.state.sms_sender_limiter = SlidingWindowLimiter(
        limit=settings.sms_rate_limit, window_seconds=settings.sms_rate_window_seconds
    )
    app.state.client_throttle = ClientThrottle()
    install_error_handlers(app)
    install_console_error_pages(app)  # after the generic handlers: console pages render HTML
    install_citizen_error_pages(app)  # and citizens' browsers get French pages
    app.add_middleware(ConsoleSecurityHeaders)
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    app.add_middleware(RequestLog)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_webhook_bytes,
        path_limits=channel_body_limits(settings),
    )
    if settings.public_base_url.startswith("https://"):
        # Outermost, so refusals by the layers above (413, 403…) carry it too.
        app.add_middleware(StrictTransportSecurity)
    install_channels(app, settings)  # the citizen pages' static files and configuration
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(description.router if settings.in_production else metrics_router)
    return app
