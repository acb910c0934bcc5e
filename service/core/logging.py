"""Structured logs (JSON) with request ids and no personal data.

Nothing logs a phone number or message text on purpose; ``_scrub`` is the second line of defence:
anything shaped like a phone number is masked before a line is written — and only that, so request
ids, job ids, addresses and URLs stay readable for whoever follows a request through the logs.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_PROVIDER_WEBHOOKS = "/channels/"
_ARQ_JOB_LINES = ("%6.2fs → ", "%6.2fs ← ")
# A phone number stands alone: never inside a word, a hex id, a UUID, a dotted address, a URL or a
# path. Its shapes: +223 and 8 digits (or 00223…, or %2B223… URL-encoded), eight to fifteen bare
# digits, or pairs of digits separated like 76 12 34 56 / 76-12-34-56 / 76.12.34.56.
_PHONE_LIKE = re.compile(
    r"""
    (?:
        (?<![\w+])(?:\+|%2[Bb]|00)\d(?:[ .-]?\d){7,14}
      | (?<![\w.:/+%-])\d{8,15}
      | (?<![\w.:/+%-])\d{2}(?:([ .-])\d{2})(?:\1\d{2}){2,5}
    )
    (?![\w+%]|[.:/-]\w)
    """,
    re.VERBOSE,
)


def configure_logging(
    *, level: str = "INFO", json: bool = True, stream: TextIO | None = None
) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _scrub,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        # Level first: a DEBUG line in production then costs a comparison, not the whole chain.
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _scrub,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's access log prints the client's IP address: it is replaced by ``RequestLog``.
    logging.getLogger("uvicorn.access").disabled = True
    # Driver debug logs print SQL parameters (blind indexes, ciphertexts): never below WARNING.
    for noisy in ("aiosqlite", "asyncpg", "sqlalchemy", "httpx", "httpcore", "twilio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # arq logs every job started and finished at INFO: at a thousand jobs a second that is most
    # of a worker's log and a fifth of its time. Kept at DEBUG; retries, failures, start-up and
    # shutdown stay at their level.
    arq_worker = logging.getLogger("arq.worker")
    arq_worker.filters[:] = [] if root.isEnabledFor(logging.DEBUG) else [_arq_job_lines_dropped]
    # Pillow's debug log prints every EXIF tag of a photo it opens: camera, GPS position.
    logging.getLogger("PIL").setLevel(logging.WARNING)


def _arq_job_lines_dropped(record: logging.LogRecord) -> bool:
    """False for arq's per-job lines ("  0.01s → job(…)", "  0.02s ← job ● …")."""
    return not (isinstance(record.msg, str) and record.msg.startswith(_ARQ_JOB_LINES))


def _scrub(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in event.items():
        # The timestamp is ours, and its date would look like a number to mask.
        if isinstance(value, str) and key != "timestamp":
            event[key] = _PHONE_LIKE.sub("[masqué]", value)
    return event


class RequestLog:
    """One line per request: method, path, status, request id. No IP, no user agent.

    Plain ASGI rather than ``BaseHTTPMiddleware``: it sits on the intake's hot path. A provider's
    webhook answered 2xx/3xx is logged at DEBUG: at a campaign's peak they come by hundreds a
    second, the metrics count them, and the line cost a tenth of intake's throughput. Refusals
    and errors on them, and every console and API request, stay at INFO.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._log = structlog.get_logger("tipline.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = _request_id(scope)
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self._app(scope, receive, send_with_id)
        finally:
            path = scope["path"]
            quiet = status < 400 and path.startswith(_PROVIDER_WEBHOOKS)
            (self._log.debug if quiet else self._log.info)(
                "request", method=scope["method"], path=path, status=status
            )
            structlog.contextvars.unbind_contextvars("request_id")


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            return str(value.decode("latin-1"))[:64]
    return uuid.uuid4().hex
