"""Wiring the citizen-facing channels into the app: web form and follow-up, green number,
reply status callbacks.

``install_channels`` runs in the app factory (static files, configuration known from the
settings; the routers are registered in ``service.app``); ``attach_channel_services`` runs in
the lifespan, once the runtime (database, keyring) is open.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from channels.errors import TiplineError
from channels.hotline.prompts import HotlineConfig
from channels.web.attempts import AttemptPolicy, FollowUpAttempts
from channels.web.errors import citizen_error_page, for_a_citizen
from channels.web.pages import STATIC_DIR, WebConfig
from channels.web.places import load_places
from channels.web.tokens import PageTokens
from crypto import DecryptionError, Keyring, Purpose, derived_key
from service.antennas.defaults import ROUTING_REFERENCE
from service.core.errors import ServiceUnavailable
from service.reporters.deliveries import DeliveryService
from service.reporters.mailbox import WebMailbox
from service.runtime import Runtime
from service.settings import Settings

WEB_FORM_PATH = "/"
log = structlog.get_logger(__name__)
Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def channel_body_limits(settings: Settings) -> dict[str, int]:
    """Per-path request size limits: the form may carry one photo."""
    return {WEB_FORM_PATH: settings.web_upload_max_bytes}


def install_channels(app: FastAPI, settings: Settings) -> None:
    hotline = HotlineConfig(
        public_base_url=settings.public_base_url,
        voice=settings.hotline_voice,
        record_max_seconds=settings.hotline_record_max_seconds,
        bambara_audio=_bambara_audio(settings),
    )
    if not hotline.offers_bambara:
        # Said at every start: a green number without Bambara is a choice someone must make.
        log.warning("hotline_bambara_not_offered", missing_prompts=hotline.missing_bambara_prompts)
    elif not hotline.bambara_audio.get("texts"):
        # Bambara callers are then never told the office may text them: no SMS question to them.
        log.warning("hotline_bambara_texts_notice_missing")
    app.state.hotline_config = hotline
    app.mount("/static/citoyen", StaticFiles(directory=STATIC_DIR), name="citizen-static")


def install_citizen_error_pages(app: FastAPI) -> None:
    """Run after the JSON handlers (``service.core.errors``) and the console's: they still decide
    the status and log; a citizen's browser is shown the French page instead of their body."""
    for error_class in _ERRORS_A_CITIZEN_MAY_MEET:
        app.add_exception_handler(
            error_class, _as_citizen_page(app.exception_handlers[error_class])
        )


_ERRORS_A_CITIZEN_MAY_MEET: tuple[type[Exception], ...] = (
    TiplineError,
    RequestValidationError,
    StarletteHTTPException,
    ServiceUnavailable,
    SQLAlchemyError,
    OSError,
    UnicodeError,
    DecryptionError,
)


def _as_citizen_page(previous: Handler) -> Handler:
    async def handle(request: Request, error: Any) -> Response:
        answer = previous(request, error)
        response = await answer if inspect.isawaitable(answer) else answer
        if response.status_code < 400 or not for_a_citizen(request):
            return response
        kept = (
            {"Retry-After": response.headers["retry-after"]}
            if "retry-after" in response.headers
            else {}
        )
        return citizen_error_page(request, response.status_code, kept)

    return handle


def attach_channel_services(app: FastAPI, runtime: Runtime) -> None:
    settings = runtime.settings
    app.state.mailbox = WebMailbox(sessions=runtime.sessions, keyring=runtime.keyring)
    app.state.deliveries = DeliveryService(
        sessions=runtime.sessions, keyring=runtime.keyring, dispatcher=runtime.dispatcher
    )
    app.state.web_config = WebConfig(
        tokens=PageTokens(
            key=page_token_key(runtime.keyring),
            form_lifetime=timedelta(minutes=settings.web_form_token_minutes),
            access_lifetime=timedelta(minutes=settings.followup_access_minutes),
        ),
        attempts=FollowUpAttempts(
            AttemptPolicy(
                window_seconds=settings.followup_window_minutes * 60,
                per_reference=settings.followup_max_failures_per_reference,
                per_client=settings.followup_max_failures_per_client,
                failure_delay_seconds=settings.followup_failure_delay_seconds,
                reference_delay_seconds=settings.followup_reference_delay_seconds,
                reference_max_delay_seconds=settings.followup_reference_max_delay_seconds,
            ),
            store=runtime.attempts,
        ),
        places=load_places(ROUTING_REFERENCE),
        secure_cookies=settings.public_base_url.startswith("https://"),
        photo_max_bytes=settings.media_max_bytes,
        upload_max_bytes=settings.web_upload_max_bytes,
    )


def page_token_key(keyring: Keyring) -> bytes:
    """A key for the citizen pages' tokens, derived from the keyring (so shared by every API
    process, and never stored); one-way, so it reveals nothing of the index key."""
    return derived_key(keyring, Purpose.INDEX, b"tipline citizen page tokens v1")


def _bambara_audio(settings: Settings) -> dict[str, str]:
    prompts = {
        "menu": settings.hotline_bm_menu_audio_url,
        "record": settings.hotline_bm_record_audio_url,
        "reference": settings.hotline_bm_reference_audio_url,
        "repeat": settings.hotline_bm_repeat_audio_url,
        "texts": settings.hotline_bm_texts_audio_url,
        "goodbye": settings.hotline_bm_goodbye_audio_url,
    }
    return {name: url for name, url in prompts.items() if url}
