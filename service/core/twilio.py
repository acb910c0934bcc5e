"""The slice of Twilio's REST API Tipline uses, on the official client's async HTTP client.

One ``TwilioClient`` per process, opened and closed with the runtime. Errors come out as
``TwilioError`` carrying only the HTTP status and Twilio's error code: Twilio's own messages can
quote the phone number ("The 'To' number +223… is not valid"), so they are never kept.

``TIPLINE_TWILIO_API_BASE_URL`` rewrites ``https://api.twilio.com`` in every request, which is
how the tests point the real client at a local fake.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

TWILIO_API = "https://api.twilio.com"
API_VERSION = "2010-04-01"
# Statuses worth trying again later: rate limiting and Twilio's own failures.
_TEMPORARY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_CHUNK_BYTES = 64 * 1024

# The library logs every request at INFO (URLs carry message and call SIDs): kept quiet.
_quiet_logger = logging.getLogger("tipline.twilio_http")
_quiet_logger.setLevel(logging.WARNING)


class TwilioError(Exception):
    """A Twilio call that failed; ``temporary`` tells whether trying again later may work."""

    def __init__(self, *, status: int | None, code: int | None, temporary: bool) -> None:
        super().__init__(f"Twilio error status={status} code={code}")
        self.status = status
        self.code = code
        self.temporary = temporary


# What Twilio can delete: a message or call no longer on its way (Twilio refuses the others).
_FINISHED_MESSAGES = frozenset(
    {"received", "sent", "delivered", "undelivered", "failed", "read", "canceled"}
)
_FINISHED_CALLS = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
# One reconciliation pass reads at most this many records per list: the rest waits for the next.
_LIST_LIMIT = 1000


@dataclass(frozen=True)
class HeldRecord:
    """A message or call Twilio still holds: its SID, when it was made, and whether it is over."""

    sid: str
    created_at: datetime | None
    finished: bool
    has_files: bool


class DownloadTooLarge(Exception):
    """The file is larger than the limit; nothing of it was kept."""


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str


class _RebasedClient(Client):  # type: ignore[misc]  # the twilio package ships no types
    """The official client, sending what it would send to api.twilio.com to another base URL."""

    def __init__(self, *args: Any, api_base_url: str | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._api_base_url = api_base_url.rstrip("/") if api_base_url else None

    def get_hostname(self, uri: str) -> str:
        uri = str(super().get_hostname(uri))
        if self._api_base_url and uri.startswith(TWILIO_API):
            return self._api_base_url + uri[len(TWILIO_API) :]
        return uri


class TwilioClient:
    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        sms_from: str | None,
        whatsapp_from: str | None = None,
        api_base_url: str | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        self._account_sid = account_sid
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self._auth_header = {"Authorization": f"Basic {credentials}"}
        self._sms_from = sms_from
        self._whatsapp_from = whatsapp_from or _whatsapp_sender(sms_from)
        self._http = AsyncTwilioHttpClient(pool_connections=False, logger=_quiet_logger)
        # The library passes no timeout of its own: one session-wide limit instead.
        self._http.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout_seconds)
        )
        self._client = _RebasedClient(
            account_sid, auth_token, http_client=self._http, api_base_url=api_base_url
        )

    async def close(self) -> None:
        await self._http.close()

    async def send_sms(self, *, to: str, body: str, status_callback: str | None) -> str:
        """Send an SMS (or a WhatsApp message to a ``whatsapp:`` address); the message SID."""
        sender = self._whatsapp_from if to.startswith("whatsapp:") else self._sms_from
        if not sender:
            raise TwilioError(status=None, code=None, temporary=False)
        options: dict[str, Any] = {"to": to, "body": body}
        if sender.startswith("MG"):
            options["messaging_service_sid"] = sender
        else:
            options["from_"] = sender
        if status_callback:
            options["status_callback"] = status_callback
        with _translated_errors():
            message = await self._client.messages.create_async(**options)
        return str(message.sid)

    async def delete_message(self, message_sid: str) -> None:
        await self._delete(self._client.messages(message_sid))

    async def recording_status(self, recording_sid: str) -> str:
        """``processing``, ``completed``, ``absent``, ``failed``… or ``deleted`` when gone."""
        try:
            with _translated_errors():
                recording = await self._client.recordings(recording_sid).fetch_async()
        except TwilioError as error:
            if error.status == 404:
                return "deleted"
            raise
        return str(recording.status)

    async def download_recording(self, recording_sid: str, *, max_bytes: int) -> Download:
        path = f"Recordings/{recording_sid}.mp3"
        return await self._download(path, max_bytes=max_bytes, default_type="audio/mpeg")

    async def delete_recording(self, recording_sid: str) -> None:
        await self._delete(self._client.recordings(recording_sid))

    async def download_media(self, message_sid: str, media_sid: str, *, max_bytes: int) -> Download:
        path = f"Messages/{message_sid}/Media/{media_sid}"
        return await self._download(path, max_bytes=max_bytes, default_type="")

    async def delete_media(self, message_sid: str, media_sid: str) -> None:
        await self._delete(self._client.messages(message_sid).media(media_sid))

    async def delete_call(self, call_sid: str) -> None:
        await self._delete(self._client.calls(call_sid))

    async def account_numbers(self) -> list[str]:
        """The phone numbers the account owns (SMS, WhatsApp and voice arrive on them)."""
        with _translated_errors():
            numbers = await self._client.incoming_phone_numbers.list_async(limit=_LIST_LIMIT)
        return [str(number.phone_number) for number in numbers if number.phone_number]

    async def messages_of(self, number: str) -> list[HeldRecord]:
        """Messages Twilio holds to or from ``number`` (a ``whatsapp:`` address too)."""
        found: dict[str, HeldRecord] = {}
        for direction in ({"to": number}, {"from_": number}):
            with _translated_errors():
                page = await self._client.messages.list_async(**direction, limit=_LIST_LIMIT)
            for message in page:
                found[str(message.sid)] = HeldRecord(
                    sid=str(message.sid),
                    created_at=_datetime_or_none(message.date_created),
                    finished=str(message.status) in _FINISHED_MESSAGES,
                    has_files=str(message.num_media or "0") not in ("", "0"),
                )
        return list(found.values())

    async def calls_of(self, number: str) -> list[HeldRecord]:
        """Calls Twilio holds to or from ``number``."""
        found: dict[str, HeldRecord] = {}
        for direction in ({"to": number}, {"from_": number}):
            with _translated_errors():
                page = await self._client.calls.list_async(**direction, limit=_LIST_LIMIT)
            for call in page:
                found[str(call.sid)] = HeldRecord(
                    sid=str(call.sid),
                    created_at=_datetime_or_none(call.date_created),
                    finished=str(call.status) in _FINISHED_CALLS,
                    has_files=True,  # the call log does not say: its recordings are listed
                )
        return list(found.values())

    async def media_of(self, message_sid: str) -> list[str]:
        with _translated_errors():
            media = await self._client.messages(message_sid).media.list_async(limit=_LIST_LIMIT)
        return [str(item.sid) for item in media]

    async def recordings_of(self, call_sid: str) -> list[str]:
        with _translated_errors():
            found = await self._client.recordings.list_async(call_sid=call_sid, limit=_LIST_LIMIT)
        return [str(item.sid) for item in found]

    async def _delete(self, resource: Any) -> None:
        """Deleting what is already gone is success: jobs that delete are retried."""
        try:
            with _translated_errors():
                await resource.delete_async()
        except TwilioError as error:
            if error.status != 404:
                raise

    async def _download(self, path: str, *, max_bytes: int, default_type: str) -> Download:
        """The file's bytes, fetched with the account credentials and never past ``max_bytes``.

        Built from SIDs rather than the URL Twilio posted, so only Twilio's API is ever asked.
        Media answers with a redirect to a storage host: aiohttp drops the Authorization header
        when a redirect leaves the origin.
        """
        url = self._client.get_hostname(
            f"{TWILIO_API}/{API_VERSION}/Accounts/{self._account_sid}/{path}"
        )
        session = self._http.session
        assert session is not None
        try:
            async with session.get(url, headers=self._auth_header) as response:
                if response.status >= 400:
                    raise TwilioError(
                        status=response.status,
                        code=None,
                        temporary=response.status in _TEMPORARY_STATUSES,
                    )
                content = await _read_capped(response, max_bytes)
                return Download(content, response.content_type or default_type)
        except (TimeoutError, aiohttp.ClientError) as error:
            raise TwilioError(status=None, code=None, temporary=True) from error


async def _read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    if response.content_length is not None and response.content_length > max_bytes:
        raise DownloadTooLarge
    chunks: list[bytes] = []
    received = 0
    async for chunk in response.content.iter_chunked(_CHUNK_BYTES):
        received += len(chunk)
        if received > max_bytes:
            raise DownloadTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


@contextmanager
def _translated_errors() -> Iterator[None]:
    """Twilio's exceptions in, ``TwilioError`` out — without Twilio's message text."""
    try:
        yield
    except TwilioRestException as error:
        status = int(error.status)
        code = error.code if isinstance(error.code, int) else None
        # from None: the original's message may quote the number, and tracebacks print it.
        raise TwilioError(
            status=status, code=code, temporary=status in _TEMPORARY_STATUSES
        ) from None
    except (TimeoutError, aiohttp.ClientError) as error:
        raise TwilioError(status=None, code=None, temporary=True) from error


def _datetime_or_none(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


def _whatsapp_sender(sms_from: str | None) -> str | None:
    if sms_from and sms_from.startswith("+"):
        return f"whatsapp:{sms_from}"
    return sms_from
