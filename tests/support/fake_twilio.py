"""A local HTTP server speaking the slice of Twilio's REST API that Tipline uses.

The real ``twilio`` client is pointed at it through ``TIPLINE_TWILIO_API_BASE_URL``; nothing is
patched. It checks the account credentials like Twilio, and records what it was asked so tests can
assert on it: messages sent, files downloaded, resources deleted. Like Twilio it also keeps a log
of what went through the account (inbound messages and calls, replies, media, recordings) that
the REST API lists and deletes; ``held()`` is what is left in it.
"""

from __future__ import annotations

import base64
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from tests.support.twilio import ACCOUNT_SID, AUTH_TOKEN

_ACCOUNT_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}"
# The number citizens write to and call (the "To" of tests.support.twilio.sms_form).
ACCOUNT_NUMBER = "+22380000000"


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
    call_sid: str | None = None


@dataclass
class LoggedRecord:
    """A message or call in the account's log, as Twilio lists it."""

    sid: str
    to: str
    sender: str
    status: str
    created_at: datetime
    num_media: int = 0

    def payload(self) -> dict[str, Any]:
        return {
            "sid": self.sid,
            "account_sid": ACCOUNT_SID,
            "to": self.to,
            "from": self.sender,
            "status": self.status,
            "date_created": format_datetime(self.created_at, usegmt=True),
            "num_media": str(self.num_media),
        }


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
    # HTTP statuses answered to the next DELETE requests, in order (e.g. 503: Twilio is down).
    delete_failures: list[int] = field(default_factory=list)
    # HTTP statuses answered to the next media downloads.
    download_failures: list[int] = field(default_factory=list)
    numbers: list[str] = field(default_factory=lambda: [ACCOUNT_NUMBER])
    # Recording SID → how many more times to answer 404 for it, as Twilio does for a moment
    # after announcing a recording (its storage lags behind its callback).
    recordings_not_yet_found: dict[str, int] = field(default_factory=dict)
    # HTTP statuses answered to the next recording downloads (the .mp3), in order.
    recording_download_failures: list[int] = field(default_factory=list)
    messages: dict[str, LoggedRecord] = field(default_factory=dict)
    calls: dict[str, LoggedRecord] = field(default_factory=dict)

    def add_recording(
        self, content: bytes, *, status: str = "completed", call_sid: str | None = None
    ) -> str:
        sid = new_sid("RE")
        self.recordings[sid] = StoredFile("audio/mpeg", content, status, call_sid)
        return sid

    def add_media(self, message_sid: str, content_type: str, content: bytes) -> str:
        sid = new_sid("ME")
        self.media[(message_sid, sid)] = StoredFile(content_type, content)
        if message_sid in self.messages:
            self.messages[message_sid].num_media += 1
        return sid

    def receive_message(
        self, sid: str, *, sender: str, to: str = ACCOUNT_NUMBER, age: timedelta = timedelta(0)
    ) -> None:
        """An inbound SMS or WhatsApp message, logged as Twilio logs it before the webhook."""
        created = datetime.now(UTC) - age
        files = sum(1 for message, _ in self.media if message == sid)
        self.messages[sid] = LoggedRecord(sid, to, sender, "received", created, files)

    def receive_call(
        self,
        sid: str,
        *,
        caller: str,
        to: str = ACCOUNT_NUMBER,
        age: timedelta = timedelta(0),
        status: str = "completed",
    ) -> None:
        self.calls[sid] = LoggedRecord(sid, to, caller, status, datetime.now(UTC) - age)

    def held(self) -> list[str]:
        """What the account's log still holds, as REST paths: empty once Tipline erased it."""
        return sorted(
            [f"Messages/{sid}" for sid in self.messages]
            + [f"Calls/{sid}" for sid in self.calls]
            + [f"Messages/{message}/Media/{sid}" for message, sid in self.media]
            + [f"Recordings/{sid}" for sid in self.recordings]
        )

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
            web.get(f"{base}/Messages.json", self.list_messages),
            web.get(f"{base}/Calls.json", self.list_calls),
            web.get(f"{base}/IncomingPhoneNumbers.json", self.list_numbers),
            web.get(f"{base}/Recordings.json", self.list_recordings),
            web.get(f"{base}/Messages/{{message}}/Media.json", self.list_media),
            web.delete(f"{base}/Messages/{{sid}}.json", self.delete_message),
            web.get(f"{base}/Recordings/{{sid}}.json", self.fetch_recording),
            web.get(f"{base}/Recordings/{{sid}}.mp3", self.download_recording),
            web.delete(f"{base}/Recordings/{{sid}}.json", self.delete_recording),
            web.get(f"{base}/Messages/{{message}}/Media/{{sid}}", self.media_redirect),
            web.delete(f"{base}/Messages/{{message}}/Media/{{sid}}.json", self.delete_media),
            web.delete(f"{base}/Calls/{{sid}}.json", self.delete_call),
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
        self.fake.messages[sid] = LoggedRecord(
            sid, str(form["To"]), str(sender), "sent", datetime.now(UTC)
        )
        payload = {"sid": sid, "account_sid": ACCOUNT_SID, "status": "queued", "to": form["To"]}
        return web.json_response(payload, status=201)

    async def list_messages(self, request: web.Request) -> web.Response:
        found = _matching(self.fake.messages.values(), request)
        return _page(request, "messages", [record.payload() for record in found])

    async def list_calls(self, request: web.Request) -> web.Response:
        found = _matching(self.fake.calls.values(), request)
        return _page(request, "calls", [record.payload() for record in found])

    async def list_numbers(self, request: web.Request) -> web.Response:
        numbers = [
            {"sid": f"PN{index:032x}", "account_sid": ACCOUNT_SID, "phone_number": number}
            for index, number in enumerate(self.fake.numbers)
        ]
        return _page(request, "incoming_phone_numbers", numbers)

    async def list_media(self, request: web.Request) -> web.Response:
        message = request.match_info["message"]
        found = [
            {"sid": sid, "account_sid": ACCOUNT_SID, "parent_sid": message}
            for parent, sid in self.fake.media
            if parent == message
        ]
        return _page(request, "media_list", found)

    async def list_recordings(self, request: web.Request) -> web.Response:
        call = request.query.get("CallSid")
        found = [
            {"sid": sid, "account_sid": ACCOUNT_SID, "call_sid": stored.call_sid}
            for sid, stored in self.fake.recordings.items()
            if call is None or stored.call_sid == call
        ]
        return _page(request, "recordings", found)

    async def delete(self, request: web.Request) -> web.Response:
        if self.fake.delete_failures:
            status = self.fake.delete_failures.pop(0)
            return _error(status, 20500, "refused by the fake")
        self.fake.deleted.append(
            request.path.removeprefix(_ACCOUNT_PATH + "/").removesuffix(".json")
        )
        return web.Response(status=204)

    async def delete_message(self, request: web.Request) -> web.Response:
        return await self._delete_from(request, self.fake.messages, request.match_info["sid"])

    async def delete_call(self, request: web.Request) -> web.Response:
        return await self._delete_from(request, self.fake.calls, request.match_info["sid"])

    async def delete_media(self, request: web.Request) -> web.Response:
        key = (request.match_info["message"], request.match_info["sid"])
        return await self._delete_from(request, self.fake.media, key)

    async def _delete_from(
        self, request: web.Request, log: dict[Any, Any], key: Any
    ) -> web.Response:
        response = await self.delete(request)
        if response.status == 204:
            log.pop(key, None)
        return response

    async def delete_recording(self, request: web.Request) -> web.Response:
        if request.match_info["sid"] not in self.fake.recordings:
            return _error(404, 20404, "not found")  # already deleted, like Twilio
        return await self._delete_from(request, self.fake.recordings, request.match_info["sid"])

    async def fetch_recording(self, request: web.Request) -> web.Response:
        sid = request.match_info["sid"]
        stored = self.fake.recordings.get(sid)
        if self.fake.recordings_not_yet_found.get(sid, 0) > 0:
            self.fake.recordings_not_yet_found[sid] -= 1
            stored = None
        if stored is None:
            return _error(404, 20404, "not found")
        return web.json_response({"sid": request.match_info["sid"], "status": stored.status})

    async def download_recording(self, request: web.Request) -> web.Response:
        stored = self.fake.recordings.get(request.match_info["sid"])
        if stored is None or stored.status != "completed":
            return _error(404, 20404, "not found")
        if self.fake.recording_download_failures:
            return _error(self.fake.recording_download_failures.pop(0), 20500, "refused")
        self.fake.downloaded.append(request.match_info["sid"])
        return web.Response(body=stored.content, content_type=stored.content_type)

    async def media_redirect(self, request: web.Request) -> web.Response:
        key = (request.match_info["message"], request.match_info["sid"])
        if key not in self.fake.media:
            return _error(404, 20404, "not found")
        if self.fake.download_failures:
            return _error(self.fake.download_failures.pop(0), 20500, "refused by the fake")
        # Like Twilio: a redirect to a storage host on another origin, which needs no password.
        storage = self.fake.url.replace("127.0.0.1", "localhost")
        raise web.HTTPTemporaryRedirect(f"{storage}/storage/{key[0]}/{key[1]}")

    async def media_storage(self, request: web.Request) -> web.Response:
        key = (request.match_info["message"], request.match_info["sid"])
        stored = self.fake.media[key]
        self.fake.downloaded.append(key[1])
        return web.Response(body=stored.content, headers={"Content-Type": stored.content_type})


def _matching(records: Any, request: web.Request) -> list[LoggedRecord]:
    """Twilio's list filters the fake honours: To and From."""
    to, sender = request.query.get("To"), request.query.get("From")
    return [
        record
        for record in records
        if (to is None or record.to == to) and (sender is None or record.sender == sender)
    ]


def _page(request: web.Request, key: str, records: list[dict[str, Any]]) -> web.Response:
    """One page holding every record, shaped like Twilio's list answers."""
    payload = {
        key: records,
        "uri": request.path_qs,
        "first_page_uri": request.path_qs,
        "next_page_uri": None,
        "previous_page_uri": None,
        "page": 0,
        "page_size": max(len(records), 50),
        "start": 0,
        "end": max(len(records) - 1, 0),
    }
    return web.json_response(payload)


def _error(status: int, code: int, message: str) -> web.Response:
    body = {"code": code, "message": message, "more_info": "", "status": status}
    return web.json_response(body, status=status)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
