"""What the fault tests run: the real app on uvicorn, real worker processes, and a Twilio-like load.

Everything listens on 127.0.0.1 only. Loops are bounded in count and in time.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlmodel import col

from crypto import load_keyring, provider_id_hash
from service.core.db import create_engine, create_sessionmaker
from service.models import Message, OutboxEntry, Tip, TriageDecision
from service.settings import Settings
from tests.support.databases import TEST_LIMITS
from tests.support.inspect import fetch_all
from tests.support.twilio import signature, sms_form

PATH = "/channels/sms/twilio"
_REFERENCE = re.compile(r"OCS-[0-9A-Z]{4}-[0-9A-Z]{4}")
_HEALTH_CHECK = "arq:queue:health-check"


# Real processes -------------------------------------------------------------------------------


class ServiceProcess:
    """A ``tipline`` command as a real subprocess, its output in a log file per start."""

    def __init__(self, command: str, settings: Settings, log_dir: Path, *, log_level: str) -> None:
        self._command = command
        self._env = os.environ | environment_of(settings) | {"TIPLINE_LOG_LEVEL": log_level}
        # No metrics port: several workers of a test run would share the default one.
        self._env["TIPLINE_WORKER_METRICS_PORT"] = "0"
        self._log_dir = log_dir
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.started = 0

    def start(self, *arguments: str) -> None:
        self.started += 1
        self._close_log()
        self._log = self.log_path(self.started).open("wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", self._command, *arguments],
            env=self._env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_path(self, start: int) -> Path:
        # Named after the process too: two processes of one command may share the directory.
        return self._log_dir / f"{self._command}-{id(self):x}-{start}.log"

    def logged(self, event: str) -> int:
        """How many log lines of every start so far carry this event."""
        needle = f'"event": "{event}"'
        return sum(
            self.log_path(start).read_text(errors="replace").count(needle)
            for start in range(1, self.started + 1)
        )

    def logged_text(self) -> str:
        """Every start's log so far."""
        return "".join(
            self.log_path(start).read_text(errors="replace") for start in range(1, self.started + 1)
        )

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as when the machine loses the process."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait(timeout=10)

    def terminate(self, within: float) -> int | None:
        """SIGTERM, as a container runtime stops a process; its exit status (None: still
        running after ``within`` seconds, then killed)."""
        assert self._process is not None
        self._process.terminate()
        try:
            return self._process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
            return None

    def stop(self) -> None:
        if self.alive:
            assert self._process is not None
            self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


class WorkerProcess(ServiceProcess):
    def __init__(self, settings: Settings, log_dir: Path) -> None:
        # Its log (a line per job, at DEBUG) is what explains a failed run.
        super().__init__("worker", settings, log_dir, log_level="DEBUG")

    async def ready(self, redis_url: str, *, within: float = 30) -> None:
        """Wait for the worker's first health check in Redis: it is started and polling."""
        redis = Redis.from_url(redis_url)
        try:
            await redis.delete(_HEALTH_CHECK)
            deadline = time.monotonic() + within
            while not await redis.exists(_HEALTH_CHECK):
                if time.monotonic() > deadline or not self.alive:
                    raise RuntimeError("the worker did not start")
                await asyncio.sleep(0.1)
        finally:
            await redis.aclose()


class ServerProcess(ServiceProcess):
    """``tipline serve`` on a free loopback port."""

    def __init__(self, settings: Settings, log_dir: Path) -> None:
        super().__init__("serve", settings, log_dir, log_level="WARNING")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    async def ready(self, *, within: float = 30) -> None:
        self.start("--host", "127.0.0.1", "--port", str(self.port))
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.url, timeout=1) as client:
            while True:
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:  # not listening yet
                    pass
                if time.monotonic() > deadline or not self.alive:
                    raise RuntimeError("tipline serve did not start")
                await asyncio.sleep(0.1)


def environment_of(settings: Settings) -> dict[str, str]:
    """The settings as the ``TIPLINE_*`` variables a deployment would set."""
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    values = {
        "TIPLINE_ENV": settings.env,
        "TIPLINE_DATA_DIR": str(settings.data_dir),
        "TIPLINE_DATABASE_URL": settings.resolved_database_url,
        "TIPLINE_REDIS_URL": settings.redis_url or "",
        "TIPLINE_KEYRING": str(settings.resolved_keyring_path),
        "TIPLINE_PUBLIC_BASE_URL": settings.public_base_url,
        "TIPLINE_TWILIO_ACCOUNT_SID": settings.twilio_account_sid or "",
        "TIPLINE_TWILIO_AUTH_TOKEN": token,
        "TIPLINE_TWILIO_FROM": settings.twilio_from or "",
        # Nothing may leave the machine: any send goes to a closed local port.
        "TIPLINE_TWILIO_API_BASE_URL": "http://127.0.0.1:9",
        "TIPLINE_SMS_BUNDLE_SECONDS": str(settings.sms_bundle_seconds),
        "TIPLINE_SPOOL_REPLAY_SECONDS": str(settings.spool_replay_seconds),
        "TIPLINE_WORKER_STOP_SECONDS": str(settings.worker_stop_seconds),
        # The tests' bound for a new connection on a busy CI machine, not production's.
        "TIPLINE_DATABASE_CONNECT_TIMEOUT_SECONDS": str(settings.database_connect_timeout_seconds),
    }
    return values


# A Twilio-like load ---------------------------------------------------------------------------


@dataclass
class Delivery:
    """One webhook as Twilio sends it, and what it was answered."""

    form: dict[str, str]
    status: int | None = None  # None: no answer at all (connection refused, timeout)
    reference: str | None = None

    @property
    def sid(self) -> str:
        return self.form["MessageSid"]

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Load:
    deliveries: list[Delivery]
    done: int = 0
    started_at: float = field(default_factory=time.monotonic)
    seconds: float = 0.0

    @classmethod
    def of_new_reporters(cls, count: int, run: str) -> Load:
        """``count`` first messages from as many numbers, so each accepted one is a new tip."""
        return cls(
            [
                Delivery(
                    sms_form(
                        sender=f"+2236{n:07d}",
                        body=f"{run} : vente de yamba devant le marché {n}, ce soir",
                    )
                )
                for n in range(count)
            ]
        )

    def count(self, *statuses: int | None) -> int:
        return sum(1 for delivery in self.deliveries if delivery.status in statuses)

    def summary(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for delivery in self.deliveries:
            key = "none" if delivery.status is None else f"{delivery.status // 100}xx"
            found[key] = found.get(key, 0) + 1
        return found


async def deliver(
    load: Load, base_url: str, *, concurrency: int, until: asyncio.Event | None = None
) -> None:
    """Every delivery once, ``concurrency`` at a time; with ``until``, none more once it is set
    (the first ``load.done`` were then sent, and answered)."""
    pending = itertools.takewhile(lambda _: until is None or not until.is_set(), load.deliveries)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:

        async def send_next() -> None:
            for delivery in pending:
                await post(client, delivery)
                load.done += 1

        await asyncio.gather(*(send_next() for _ in range(concurrency)))
    load.seconds = time.monotonic() - load.started_at


async def post(client: httpx.AsyncClient, delivery: Delivery) -> None:
    headers = {"X-Twilio-Signature": signature(PATH, delivery.form)}
    try:
        response = await client.post(PATH, data=delivery.form, headers=headers)
    except httpx.TransportError:
        delivery.status = None
        return
    delivery.status = response.status_code
    found = _REFERENCE.search(response.text)
    delivery.reference = found.group(0) if found else None


async def when_done(load: Load, count: int, action: Callable[[], Awaitable[None]]) -> None:
    """Run ``action`` once ``count`` deliveries have been answered (bounded wait)."""
    deadline = time.monotonic() + 120
    while load.done < count and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    await action()


# What the database holds ----------------------------------------------------------------------


async def fetch_rows(url: str, statement: Any) -> list[Any]:
    """Every row (all its columns) of a select, through a short-lived engine."""
    engine = create_engine(url, TEST_LIMITS)
    try:
        async with create_sessionmaker(engine)() as session:
            return [tuple(row) for row in await session.execute(statement)]
    finally:
        await engine.dispose()


async def stored_references(settings: Settings) -> dict[str, list[str]]:
    """MessageSid → the references of the tips holding a message with that id; the database
    holds only the id's keyed hash, so the result is keyed by it too (see ``sid_key``)."""
    rows = await fetch_rows(
        settings.resolved_database_url,
        select(col(Message.provider_id_hash), col(Tip.reference)).join(
            Tip, col(Tip.id) == col(Message.tip_id)
        ),
    )
    found: dict[str, list[str]] = {}
    for hashed, reference in rows:
        found.setdefault(hashed, []).append(reference)
    return found


async def wrong_references(settings: Settings, answered: Iterable[Delivery]) -> list[str]:
    """The reliability verdict on references: every answer carries the reference of the one tip
    its MessageSid is stored in (the reference exists, and is that message's tip's). Returns the
    MessageSids of the answers that break it."""
    stored, key = await stored_references(settings), sid_key(settings)
    return sorted(
        {d.sid for d in answered if d.reference is None or stored.get(key(d.sid)) != [d.reference]}
    )


def sid_key(settings: Settings) -> Callable[[str], str]:
    """How ``stored_references`` names a MessageSid."""
    keyring = load_keyring(settings.resolved_keyring_path)
    return lambda sid: provider_id_hash(keyring, sid)


async def decisions_per_tip(url: str) -> dict[str, int]:
    rows = await fetch_rows(
        url,
        select(col(Tip.reference), func.count(col(TriageDecision.id)))
        .join(TriageDecision, col(TriageDecision.tip_id) == col(Tip.id), isouter=True)
        .group_by(col(Tip.reference)),
    )
    return dict(rows)


async def pending_triage(url: str) -> list[str]:
    """The job keys of triage jobs whose outbox entry is not complete."""
    pending = await fetch_all(
        url,
        select(col(OutboxEntry.job_key)).where(
            col(OutboxEntry.job_name) == "triage_tip", col(OutboxEntry.completed_at).is_(None)
        ),
    )
    return [str(key) for key in pending]


async def wait_until_triaged(settings: Settings, *, within: float) -> float:
    """Seconds until every tip has a decision and every triage job is complete."""
    url = settings.resolved_database_url
    started = time.monotonic()
    while time.monotonic() - started < within:
        counts = await decisions_per_tip(url)
        if counts and min(counts.values()) >= 1 and not await pending_triage(url):
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    pending = await pending_triage(url)
    states = await queue_states(settings, pending)
    raise AssertionError(f"not triaged within {within} s: {len(pending)} pending, {states}")


async def queue_states(settings: Settings, job_keys: list[str]) -> dict[str, int]:
    """Where arq holds these jobs: how many are queued, running, finished or unknown to it."""
    assert settings.redis_url is not None
    redis = Redis.from_url(settings.redis_url)
    states: dict[str, int] = {}
    try:
        for key in job_keys:
            if await redis.exists(f"arq:in-progress:{key}"):
                state = "in progress"
            elif await redis.zscore("arq:queue", key) is not None:
                state = "queued"
            elif await redis.exists(f"arq:result:{key}"):
                state = "finished"
            else:
                state = "unknown to arq"
            states[state] = states.get(state, 0) + 1
    finally:
        await redis.aclose()
    return states


def spool_files(settings: Settings) -> list[Path]:
    directory = settings.data_dir / "spool"
    return sorted(directory.glob("*.jsonl")) if directory.is_dir() else []


async def wait_until_spool_replayed(settings: Settings, *, within: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        waiting = [p for p in spool_files(settings) if not p.name.startswith("rejected-")]
        if all(p.stat().st_size == 0 for p in waiting):
            return time.monotonic() - started
        await asyncio.sleep(0.2)
    raise AssertionError(f"spool not replayed within {within} s: {spool_files(settings)}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
