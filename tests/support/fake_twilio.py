"""A local HTTP server speaking the slice of Twilio's REST API that Tipline uses.

The real ``twilio`` client is pointed at it through ``TIPLINE_TWILIO_API_BASE_URL``; nothing is
patched. It checks the account credentials like Twilio, and records what it was asked so tests can
assert on it: messages sent, files downloaded, resources deleted.
"""

from __future__ import annotations

import base64
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from tests.support.twilio import ACCOUNT_SID, AUTH_TOKEN

_ACCOUNT_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}"


def new_sid(prefix: str) -> str:
    """Random, like Twilio's: never the same as a SID a test made up for a webhook."""
    return f"{prefix}{uuid.uuid4().hex}"


@dataclass
class SentMessage:
    sid: str
    to: str
    sender: str
    body: str
    status_callback: str | None


@dataclass
class StoredFile:
    content_type: str
    content: bytes
    status: str = "completed"


@dataclass
class FakeTwilio:
    url: str = ""
    sent: list[SentMessage] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    downloaded: list[str] = field(default_factory=list)
    # Requests made without the account's credentials (Twilio would answer 401).
    unauthorised: list[str] = field(default_factory=list)
    # Whether the storage host a media redirect leads to was sent the credentials (it must not).
    credentials_leaked: bool = False
    recordings: dict[str, StoredFile] = field(default_factory=dict)
    media: dict[tuple[str, str], StoredFile] = field(default_factory=dict)
    # Answers for the next message creations: (HTTP status, Twilio error code).
    failures: list[tuple[int, int]] = field(default_factory=list)

    def add_recording(self, content: bytes, *, status: str = "completed") -> str:
        sid = new_sid("RE")
        self.recordings[sid] = StoredFile("audio/mpeg", content, status)
        return sid

    def add_media(self, message_sid: str, content_type: str, content: bytes) -> str:
        sid = new_sid("ME")
        self.media[(message_sid, sid)] = StoredFile(content_type, content)
        return sid

    def media_url(self, message_sid: str, media_sid: str) -> str:
        """The URL Twilio posts in ``MediaUrl{i}``: always api.twilio.com, never this server."""
        account = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
        return f"{account}/Messages/{message_sid}/Media/{media_sid}"


@asynccontextmanager
async def running_fake_twilio() -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio()
    app = web.Application(middlewares=[_credentials(fake)])
    app.add_routes(_Handlers(fake).routes())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = _free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()


def _credentials(fake: FakeTwilio) -> Middleware:
    expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/storage/"):
            fake.credentials_leaked |= "Authorization" in request.headers
            return await handler(request)
        if request.headers.get("Authorization") != expected:
            fake.unauthorised.append(request.path)
            return _error(401, 20003, "Authenticate")
        return await handler(request)

    return check


class _Handlers:
    """Twilio's endpoints, answering from and recording into one ``FakeTwilio``."""

    def __init__(self, fake: FakeTwilio) -> None:
        self.fake = fake

    def routes(self) -> list[web.RouteDef]:
        base = _ACCOUNT_PATH
        return [
            web.post(f"{base}/Messages.json", self.create_message),
            web.delete(f"{base}/Messages/{{sid}}.json", self.delete),
            web.get(f"{base}/Recordings/{{sid}}.json", self.fetch_recording),
            web.get(f"{base}/Recordings/{{sid}}.mp3", self.download_recording),
            web.delete(f"{base}/Recordings/{{sid}}.json", self.delete_recording),
            web.get(f"{base}/Messages/{{message}}/Media/{{sid}}", self.media_redirect),
            web.delete(f"{base}/Messages/{{message}}/Media/{{sid}}.json", self.delete),
            web.delete(f"{base}/Calls/{{sid}}.json", self.delete),
            web.get("/storage/{message}/{sid}", self.media_storage),
        ]

    async def create_message(self, request: web.Request) -> web.Response:
        form = await request.post()
        if self.fake.failures:
            status, code = self.fake.failures.pop(0)
            return _error(status, code, "refused by the fake")
        sid = new_sid("SM")
        sender = form.get("From") or form.get("MessagingServiceSid") or ""
        callback = form.get("StatusCallback")
        self.fake.sent.append(
            SentMessage(
                sid, str(form["To"]), str(sender), str(form["Body"]), str(callback or "") or None
            )
        )
        payload = {"sid": sid, "account_sid": ACCOUNT_SID, "status": "queued", "to": form["To"]}
        return web.json_response(payload, status=201)

    async def delete(self, request: web.Request) -> web.Response:
        self.fake.deleted.append(
            request.path.removeprefix(_ACCOUNT_PATH + "/").removesuffix(".json")
        )
        return web.Response(status=204)

    async def delete_recording(self, request: web.Request) -> web.Response:
        if self.fake.recordings.pop(request.match_info["sid"], None) is None:
            return _error(404, 20404, "not found")  # already deleted, like Twilio
        return await self.delete(request)

    async def fetch_recording(self, request: web.Request) -> web.Response:
        stored = self.fake.recordings.get(request.match_info["sid"])
        if stored is None:
            return _error(404, 20404, "not found")
        return web.json_response({"sid": request.match_info["sid"], "status": stored.status})

    async def download_recording(self, request: web.Request) -> web.Response:
        stored = self.fake.recordings.get(request.match_info["sid"])
        if stored is None or stored.status != "completed":
            return _error(404, 20404, "not found")
        self.fake.downloaded.append(request.match_info["sid"])
        return web.Response(body=stored.content, content_type=stored.content_type)

    async def media_redirect(self, request: web.Request) -> web.Response:
        key = (request.match_info["message"], request.match_info["sid"])
        if key not in self.fake.media:
            return _error(404, 20404, "not found")
        # Like Twilio: a redirect to a storage host on another origin, which needs no password.
        storage = self.fake.url.replace("127.0.0.1", "localhost")
        raise web.HTTPTemporaryRedirect(f"{storage}/storage/{key[0]}/{key[1]}")

    async def media_storage(self, request: web.Request) -> web.Response:
        key = (request.match_info["message"], request.match_info["sid"])
        stored = self.fake.media[key]
        self.fake.downloaded.append(key[1])
        return web.Response(body=stored.content, headers={"Content-Type": stored.content_type})


def _error(status: int, code: int, message: str) -> web.Response:
    body = {"code": code, "message": message, "more_info": "", "status": status}
    return web.json_response(body, status=status)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
