"""The FastAPI application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from channels.rate_limit import SlidingWindowLimiter
from channels.sms.webhook import router as sms_router
from channels.twilio_webhook import TwilioWebhookConfig
from service.citizen_channels import (
    attach_channel_services,
    channel_body_limits,
    install_channels,
)
from service.console import install_console
from service.errors import install_error_handlers
from service.health import router as health_router
from service.limits import BodySizeLimit
from service.logging import RequestLog
from service.runtime import open_runtime
from service.settings import Settings


def create_app(settings: Settings | None = None, *, freeze_gc: bool = False) -> FastAPI:
    """``freeze_gc``: for a long-lived server process (``tipline serve``), see below."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await open_runtime(settings)
        app.state.runtime = runtime
        app.state.intake = runtime.intake
        attach_channel_services(app, runtime)
        if freeze_gc:
            # What start-up built (rules, gazetteer automaton, mappers, routes) lives as long as
            # the process: kept out of the cyclic collector, whose full passes over it stalled
            # intake for 100-200 ms (bench/README.md).
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(title="Tipline — OCS", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    token = None
    if settings.twilio_configured and settings.twilio_auth_token is not None:
        token = settings.twilio_auth_token.get_secret_value()
    app.state.twilio_webhook_config = TwilioWebhookConfig(
        auth_token=token,
        public_base_url=settings.public_base_url,
    )
    app.state.sms_sender_limiter = SlidingWindowLimiter(
        limit=settings.sms_rate_limit, window_seconds=settings.sms_rate_window_seconds
    )
    install_error_handlers(app)
    # The SMS webhook first: routes are matched in order, and it is the one taken hundreds of
    # times a second (matching through the console's routers first cost 80 µs a webhook).
    app.include_router(sms_router)
    app.include_router(health_router)
    install_console(app)  # after the generic handlers: console pages render errors as HTML
    app.add_middleware(RequestLog)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_webhook_bytes,
        path_limits=channel_body_limits(settings),
    )
    install_channels(app, settings)  # web form, follow-up, green number, reply statuses
    _include_casework(app)
    _include_hotline(app)
    return app


def _include_casework(app: FastAPI) -> None:
    """The duty officers' queue and tips, the antenna chiefs' cases, the dashboard; the API."""
    from service.api.router import router as casework_api
    from service.console import cases, dashboard, queue, tips

    for module in (queue, tips, cases, dashboard):
        app.include_router(module.router)
    app.include_router(casework_api)


def _include_hotline(app: FastAPI) -> None:
    """The hotline operators' pages: calls typed live, voicemails transcribed."""
    from service.console import hotline_entry, voicemail_pages

    for module in (hotline_entry, voicemail_pages):
        app.include_router(module.router)
