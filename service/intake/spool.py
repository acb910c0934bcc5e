"""The intake spool: what a provider delivered while the database was down, kept on local disk.

Twilio does not retry a failed Messaging webhook, so a tip refused during an outage would be lost.
Instead intake appends it here — one JSON line per message, fsync'd before the citizen is
answered — and the API process replays it through the normal intake path once the database is
back. A line holds only ciphertext for what the reporter wrote or who they are: sender, body and
place are sealed (identity key for the sender, content key for the rest, bound to the record's
reference), beside the channel, the provider's message id and the time received. The reference
is the one derived from the provider's id (``crypto.provider_reference``): the one every process
answers for that message, with the database or without, and the one replay stores the tip under.

Files: ``<data dir>/spool/intake-<host>-<pid>.jsonl`` is appended to by one process, each append
under an exclusive ``flock``. Replay first *claims* a file by renaming it to ``replay-<id>.jsonl``
under that lock (a writer that finds its file renamed starts a new one), replays every record,
then deletes the claimed file: the deletion is the completion marker. A crash in between leaves
the claimed file to be replayed again, which is safe: a record whose provider id (or reference) is
already stored is skipped. A record that can never be stored is set aside in
``rejected-<host>.jsonl`` for an operator instead of blocking the rest.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import json
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import structlog
from sqlalchemy.exc import SQLAlchemyError

from channels.ports import IncomingAttachment, IncomingMessage, IntakeReceipt
from crypto import (
    CryptoError,
    Keyring,
    Purpose,
    new_reference,
    open_text,
    provider_reference,
    seal_text,
)
from service.core.errors import ServiceUnavailable
from service.core.outage import database_unreachable
from service.models.types import utcnow


class Replayer(Protocol):
    """What replaying needs of intake: store a spooled message under its reference, or an
    opt-out (``service.intake.service.IntakeService``)."""

    async def receive(
        self, message: IncomingMessage, *, reference: str | None = None
    ) -> IntakeReceipt: ...

    async def opt_out(self, *, sender: str, from_spool: bool = False) -> None: ...


log = structlog.get_logger(__name__)

FORMAT_VERSION = 1
MESSAGE = "message"
OPT_OUT = "opt_out"
_ACTIVE_PREFIX = "intake-"
_CLAIMED_PREFIX = "replay-"


@dataclass(frozen=True)
class SpooledRecord:
    """One line of a spool file. ``reference`` is the tip reference the citizen was given."""

    kind: str
    reference: str
    received_at: datetime
    sender: bytes | None
    body: bytes | None = None
    place: bytes | None = None
    channel: str | None = None
    provider_id: str | None = None
    # Provider media still at Twilio: ids and types only, the job downloads them after replay.
    attachments: tuple[IncomingAttachment, ...] = ()
    language: str | None = None

    def to_line(self) -> bytes:
        fields: dict[str, Any] = {
            "v": FORMAT_VERSION,
            "kind": self.kind,
            "reference": self.reference,
            "received_at": self.received_at.isoformat(),
            "channel": self.channel,
            "provider_id": self.provider_id,
            "sender": _b64(self.sender),
            "body": _b64(self.body),
            "place": _b64(self.place),
            "attachments": [_attachment_fields(item) for item in self.attachments],
            "language": self.language,
        }
        return json.dumps(fields, separators=(",", ":")).encode() + b"\n"

    @classmethod
    def from_line(cls, line: bytes) -> SpooledRecord:
        """ValueError for anything but a complete record (a torn last line is never answered)."""
        try:
            fields = json.loads(line)
            if fields["v"] != FORMAT_VERSION or fields["kind"] not in (MESSAGE, OPT_OUT):
                raise ValueError("unknown spool record")
            return cls(
                kind=fields["kind"],
                reference=fields["reference"],
                received_at=datetime.fromisoformat(fields["received_at"]),
                sender=_unb64(fields["sender"]),
                body=_unb64(fields["body"]),
                place=_unb64(fields["place"]),
                channel=fields["channel"],
                provider_id=fields["provider_id"],
                attachments=tuple(IncomingAttachment(**item) for item in fields["attachments"]),
                language=fields.get("language"),  # absent from records written before it
            )
        except (KeyError, TypeError, json.JSONDecodeError) as error:
            raise ValueError("malformed spool record") from error


def spoolable(message: IncomingMessage) -> bool:
    """Only what a provider delivered and will not send again; a citizen on the web form sees
    the error and can resend, and its receipt code or follow-up cannot wait in a file."""
    return (
        message.provider_id is not None
        and message.follow_up_of is None
        and message.receipt_code is None
        and message.entered_by is None
        and all(item.content is None for item in message.attachments)
    )


@dataclass
class ReplayReport:
    stored: int = 0
    skipped: int = 0  # already stored: a provider retry, or a replay cut short by a crash
    rejected: int = 0
    interrupted: bool = False  # the database went away again; the rest waits for the next pass


class IntakeSpool:
    def __init__(self, directory: Path, keyring: Keyring) -> None:
        self.directory = directory
        self._keyring = keyring
        self._path = directory / f"{_ACTIVE_PREFIX}{socket.gethostname()}-{os.getpid()}.jsonl"
        self._fd: int | None = None
        self._lock = asyncio.Lock()
        # Provider ids this process spooled, so a retry during the same outage gets the same
        # reference instead of a second record.
        self._spooled: dict[str, str] = {}
        self.kept = 0  # records written by this process since it started

    async def keep_message(self, message: IncomingMessage) -> IntakeReceipt:
        """Seal and append the message; ServiceUnavailable (503) when the disk refuses it."""
        async with self._lock:
            known = self._spooled.get(message.provider_id or "")
            if known is not None:
                return IntakeReceipt(reference=known, new_tip=True, replayed=True)
            record = self._seal_message(message)
            await self._append(record)
            if message.provider_id:
                self._spooled[message.provider_id] = record.reference
            self.kept += 1
        log.warning("message_spooled", channel=message.channel)
        return IntakeReceipt(reference=record.reference, new_tip=True, replayed=False)

    def pending_reference(self, provider_id: str | None) -> str | None:
        """The reference this process answered from the spool for a message not replayed yet."""
        return self._spooled.get(provider_id) if provider_id else None

    def forget(self, provider_id: str | None) -> None:
        """The message is stored: a late provider retry is answered from the database."""
        self._spooled.pop(provider_id or "", None)

    async def keep_opt_out(self, *, sender: str) -> None:
        reference = new_reference()
        record = SpooledRecord(
            kind=OPT_OUT,
            reference=reference,
            received_at=utcnow(),
            sender=seal_text(self._keyring, Purpose.IDENTITY, sender, context=f"spool:{reference}"),
        )
        async with self._lock:
            await self._append(record)
            self.kept += 1
        log.warning("opt_out_spooled")

    def has_pending(self) -> bool:
        """Some spool file of the directory (any process's) holds records not replayed yet:
        about 20 µs for a spool directory at rest, so intake may ask it for every message."""
        return any(_size(path) > 0 for path in self._spool_files())

    async def replay(self, intake: Replayer) -> ReplayReport:
        """Store every spooled record through intake, oldest file first, each file once."""
        report = ReplayReport()
        if not await asyncio.to_thread(self.has_pending):
            return report
        claimed = await asyncio.to_thread(self._claim_all)
        for path in claimed:
            await self._replay_file(path, intake, report)
            if report.interrupted:
                break
        if report.stored or report.skipped or report.rejected:
            log.info(
                "spool_replayed",
                stored=report.stored,
                skipped=report.skipped,
                rejected=report.rejected,
                interrupted=report.interrupted,
            )
        return report

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # Sealing and opening records ---------------------------------------------------------------

    def _seal_message(self, message: IncomingMessage) -> SpooledRecord:
        assert message.provider_id is not None  # spoolable
        reference = provider_reference(self._keyring, message.provider_id)
        context = f"spool:{reference}"
        keyring = self._keyring
        return SpooledRecord(
            kind=MESSAGE,
            reference=reference,
            received_at=message.received_at,
            sender=None
            if message.sender is None
            else seal_text(keyring, Purpose.IDENTITY, message.sender, context=context),
            body=seal_text(keyring, Purpose.CONTENT, message.body, context=context),
            # The place gets its own context so it cannot be swapped with the body.
            place=None
            if message.place is None
            else seal_text(keyring, Purpose.CONTENT, message.place, context=f"{context}:place"),
            channel=message.channel,
            provider_id=message.provider_id,
            attachments=message.attachments,
            language=message.language,
        )

    def _open_message(self, record: SpooledRecord) -> IncomingMessage:
        context = f"spool:{record.reference}"
        keyring = self._keyring
        if record.body is None or record.channel is None:
            raise ValueError("a spooled message without body or channel")
        return IncomingMessage(
            channel=record.channel,
            body=open_text(keyring, Purpose.CONTENT, record.body, context=context),
            received_at=record.received_at,
            provider_id=record.provider_id,
            sender=None
            if record.sender is None
            else open_text(keyring, Purpose.IDENTITY, record.sender, context=context),
            place=None
            if record.place is None
            else open_text(keyring, Purpose.CONTENT, record.place, context=f"{context}:place"),
            attachments=record.attachments,
            language=record.language,
        )

    # Replay ------------------------------------------------------------------------------------

    async def _replay_file(self, path: Path, intake: Replayer, report: ReplayReport) -> None:
        fd = await asyncio.to_thread(_lock_claimed, path)
        if fd is None:  # another process is replaying it, or has finished it
            return
        try:
            lines = await asyncio.to_thread(_read_lines, fd)
            for line in lines:
                if not await self._replay_line(line, intake, report):
                    report.interrupted = True
                    return
            await asyncio.to_thread(_remove, path)
        finally:
            os.close(fd)

    async def _replay_line(self, line: bytes, intake: Replayer, report: ReplayReport) -> bool:
        """False when the database is unreachable again."""
        try:
            record = SpooledRecord.from_line(line)
        except ValueError:
            log.warning("spool_line_unreadable")  # a torn last line: never acknowledged
            return True
        try:
            stored = await self._store(record, intake)
        except (SQLAlchemyError, OSError) as error:
            if database_unreachable(error):
                return False
            await self._reject(line, report, error)
            return True
        except (CryptoError, ValueError) as error:
            await self._reject(line, report, error)
            return True
        if stored:
            report.stored += 1
        else:
            report.skipped += 1
        return True

    async def _store(self, record: SpooledRecord, intake: Replayer) -> bool:
        if record.kind == OPT_OUT:
            assert record.sender is not None
            sender = open_text(
                self._keyring, Purpose.IDENTITY, record.sender, context=f"spool:{record.reference}"
            )
            await intake.opt_out(sender=sender, from_spool=True)
            return True
        receipt = await intake.receive(self._open_message(record), reference=record.reference)
        self.forget(record.provider_id)
        return not receipt.replayed

    async def _reject(self, line: bytes, report: ReplayReport, error: Exception) -> None:
        report.rejected += 1
        log.error("spool_record_rejected", error=type(error).__name__)
        rejected = self.directory / f"rejected-{socket.gethostname()}.jsonl"
        await asyncio.to_thread(_append_durably, rejected, line.rstrip(b"\n") + b"\n")

    # Files -------------------------------------------------------------------------------------

    async def _append(self, record: SpooledRecord) -> None:
        try:
            await asyncio.to_thread(self._append_line, record.to_line())
        except OSError as error:
            log.error("spool_unwritable", error=type(error).__name__)
            raise ServiceUnavailable() from error

    def _append_line(self, line: bytes) -> None:
        """One complete line, fsync'd, or nothing: a failed write is cut back off the file."""
        while True:
            fd = self._current_fd()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if _is_at(fd, self._path):
                    _write_line(fd, line)
                    return
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            self.close()  # claimed for replay since we opened it: start a new file

    def _current_fd(self) -> int:
        if self._fd is None:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._fd = os.open(self._path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            _sync_directory(self.directory)
        return self._fd

    def _spool_files(self) -> Iterator[Path]:
        if not self.directory.is_dir():
            return iter(())
        return (
            path
            for path in self.directory.iterdir()
            if path.suffix == ".jsonl" and path.name.startswith((_ACTIVE_PREFIX, _CLAIMED_PREFIX))
        )

    def _claim_all(self) -> list[Path]:
        """Every claimed file, oldest first, after claiming the active ones (this host's)."""
        for path in list(self._spool_files()):
            if path.name.startswith(_ACTIVE_PREFIX):
                _claim(path, self.directory / f"{_CLAIMED_PREFIX}{uuid.uuid4().hex}.jsonl")
        claimed = [path for path in self._spool_files() if path.name.startswith(_CLAIMED_PREFIX)]
        return sorted(claimed, key=_modified_at)


def _claim(path: Path, target: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # waits for an append in progress
        if _is_at(fd, path) and os.fstat(fd).st_size > 0:
            os.rename(path, target)
            _sync_directory(path.parent)
    finally:
        os.close(fd)


def _lock_claimed(path: Path) -> int | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    if os.fstat(fd).st_nlink == 0:  # finished by another process while we waited
        os.close(fd)
        return None
    return fd


def _read_lines(fd: int) -> list[bytes]:
    with os.fdopen(os.dup(fd), "rb") as stream:
        return [line for line in stream.read().split(b"\n") if line.strip()]


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    _sync_directory(path.parent)


def _write_line(fd: int, line: bytes) -> None:
    size = os.fstat(fd).st_size
    # A line torn by an earlier failure must not swallow this one.
    if size and os.pread(fd, 1, size - 1) != b"\n":
        line = b"\n" + line
    try:
        written = 0
        while written < len(line):
            written += os.write(fd, line[written:])
        os.fsync(fd)
    except OSError:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)
        raise


def _append_durably(path: Path, line: bytes) -> None:
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _write_line(fd, line)
    finally:
        os.close(fd)


def _is_at(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _sync_directory(directory: Path) -> None:
    """A new or renamed file survives a crash only once its directory entry is on disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # claimed or replayed meanwhile
        return 0


def _modified_at(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _attachment_fields(item: IncomingAttachment) -> dict[str, str | None]:
    return {
        "source": item.source,
        "content_type": item.content_type,
        "provider_sid": item.provider_sid,
        "refusal": item.refusal,
    }


def _b64(value: bytes | None) -> str | None:
    return None if value is None else base64.b64encode(value).decode("ascii")


def _unb64(value: str | None) -> bytes | None:
    return None if value is None else base64.b64decode(value, validate=True)
