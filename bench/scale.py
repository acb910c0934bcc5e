"""Years of data: the staff's pages and API, the periodic jobs and the maintenance commands at
growing sizes, on PostgreSQL.

    python -m bench.scale --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
        --sizes 10000,100000,1000000

Creates a database of its own, migrates it, then for each size adds history behind the same
last 30 days (``bench.scale_data``: tips, decisions, cases, a million sources for two million
tips, the keyed audit trail). Each request is then timed through the real application (its
lifespan, its middleware, a signed-in session per role, over an in-memory ASGI transport: no
network in the figures), median of several runs; the jobs and commands are run directly:
retention as the hourly cron runs it, key rotation while signed SMS keep arriving (the longest
webhook answer during the rotation is reported), the audit trail's full verification.

Prints a table of operation by size with the growth from the previous size, and ends with:
``scale: slowest request N ms (<operation>) at <size>, worst growth X.Xx (<operation>),
retention done|unfinished``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlmodel import col
from twilio.request_validator import RequestValidator

from bench.scale_data import History, fill
from crypto import load_keyring, load_or_create_keyring, new_pseudonym
from service.access.csrf import CSRF_HEADER, csrf_token_for
from service.antennas.defaults import seed_antennas
from service.app import create_app
from service.casework.alerts import announce_unalerted_cases
from service.casework.escalation import overdue_cases
from service.core.audit import PER_PAGE, anchor_path, sequence_bounds
from service.core.audit_verification import verify_trail
from service.core.db import SessionMaker, create_engine, create_sessionmaker, transaction
from service.core.logging import configure_logging
from service.core.migrate import upgrade_to_head
from service.models import AuditEntry, Reporter, Role, SessionStage, StaffUser, Tip
from service.models.types import utcnow
from service.reporters.keys import rotate_keys
from service.retention.jobs import BUDGET_SECONDS, run_retention
from service.runtime import Runtime
from service.settings import Settings
from service.staff.sessions import SESSION_COOKIE, open_session

_RUNS = 5
# A Redis database of the bench's own (the test suite's workers use the low numbers).
_REDIS_URL = "redis://127.0.0.1:6379/15"
_BASE_URL = "http://127.0.0.1:8000"
_TOKEN = "bench-auth-token"
_SMS_PATH = "/channels/sms/twilio"

Timed = Callable[[], Awaitable[object]]


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server's URL")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument(
        "--redis-url",
        default=_REDIS_URL,
        help="the queue: pages are timed on an API process as in production, whose jobs wait "
        "in Redis for a worker (none runs here) instead of running in the measured process",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and its keyring (to EXPLAIN)"
    )
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    configure_logging(level="ERROR")  # the figures, not a line per request
    url = await _fresh_database(arguments.database_url)
    data_dir = Path(tempfile.mkdtemp(prefix="tipline-scale-"))
    results: dict[str, dict[int, float]] = {}
    retention_done = True
    try:
        settings = _settings(url, data_dir, arguments.redis_url)
        await _empty_queue(arguments.redis_url)
        history = await _prepare(settings)
        for size in sizes:
            started = time.perf_counter()
            await _fill_to(settings, history, size)
            print(f"filled {size:,} tips in {time.perf_counter() - started:.0f} s", flush=True)
            timings, finished = await _measure(settings, history)
            retention_done = retention_done and finished
            for name, milliseconds in timings.items():
                results.setdefault(name, {})[size] = milliseconds
            _report(results, sizes[: sizes.index(size) + 1], retention_done)
    finally:
        await _empty_queue(arguments.redis_url)
        if arguments.keep:
            print(f"kept: database {make_url(url).database}, data directory {data_dir}")
        else:
            await _drop_database(arguments.database_url, url)
            shutil.rmtree(data_dir, ignore_errors=True)


async def _empty_queue(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()


def _settings(url: str, data_dir: Path, redis_url: str) -> Settings:
    load_or_create_keyring(data_dir / "keyring.json")
    return Settings(
        data_dir=data_dir,
        database_url=url,
        redis_url=redis_url,
        keyring=data_dir / "keyring.json",
        public_base_url=_BASE_URL,
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=_TOKEN,
        # No Twilio here: the jobs that delete texts there fail fast and come back much later.
        twilio_api_base_url="http://127.0.0.1:9",
        twilio_retry_seconds=3600,
        sms_bundle_seconds=0,
    )


async def _fresh_database(server_url: str) -> str:
    name = f"tipline_scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", bound_statements=False)
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade_to_head, url)
    print(f"database {name}", flush=True)
    return url


async def _drop_database(server_url: str, url: str) -> None:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", bound_statements=False)
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)'))
    await admin.dispose()


@asynccontextmanager
async def _sessions(settings: Settings) -> AsyncIterator[SessionMaker]:
    # Bulk work, and a slow read must be timed, not cut off at the request bound.
    engine = create_engine(settings.resolved_database_url, bound_statements=False)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


async def _prepare(settings: Settings) -> History:
    """The antennas, one prolific source, and the history's keyring."""
    keyring, _ = load_or_create_keyring(settings.resolved_keyring_path)
    prolific = Reporter(blind_index=uuid.uuid4().hex * 2, pseudonym=new_pseudonym())
    async with _sessions(settings) as sessions, transaction(sessions) as session:
        await seed_antennas(session=session)
        session.add(prolific)
    return History(now=utcnow(), keyring=keyring, prolific=prolific.id)


# Two waits of the rotation for running processes, left out of its figure.
_SETTLE_SECONDS = 2.5


async def _fill_to(settings: Settings, history: History, size: int) -> None:
    """More history, under the keys of the day (the previous size rotated them) and chained
    after whatever the application itself audited meanwhile."""
    history.keyring = load_keyring(settings.resolved_keyring_path)
    async with _sessions(settings) as sessions:
        async with sessions() as session:
            tail = (
                await session.execute(
                    select(col(AuditEntry.sequence), col(AuditEntry.entry_hash))
                    .order_by(col(AuditEntry.sequence).desc())
                    .limit(1)
                )
            ).first()
        if tail is not None:
            history.audit_tail = (tail[0], tail[1])
        await fill(sessions, history, size)
        async with sessions() as session:
            await session.execute(text("ANALYZE"))
            await session.commit()


async def _measure(settings: Settings, history: History) -> tuple[dict[str, float], bool]:
    app = create_app(settings)
    async with LifespanManager(app):
        runtime: Runtime = app.state.runtime
        clients = {role: await _signed_in(app, runtime, role) for role in _ROLES}
        try:
            timings = await _requests(runtime, clients, history)
            timings |= await _sweeps(runtime)
            timings["retention run (hourly)"], finished = await _retention(runtime)
            timings["audit verify (whole trail)"] = await _once(
                lambda: _verify_audit(runtime, settings)
            )
            timings |= await _rotation(settings, clients[Role.DUTY_OFFICER])
        finally:
            for client in clients.values():
                await client.aclose()
    return timings, finished


_ROLES = (
    Role.DUTY_OFFICER,
    Role.ANTENNA_CHIEF,
    Role.SUPERVISOR,
    Role.AUDITOR,
)


async def _signed_in(app: object, runtime: Runtime, role: Role) -> httpx.AsyncClient:
    """A client holding a fully signed-in session of a new account with ``role``."""
    user = StaffUser(
        username=f"{role.value}-{uuid.uuid4().hex[:6]}",
        role=role,
        antenna_code="SEG" if role is Role.ANTENNA_CHIEF else None,
        password_hash="bench",
        must_change_password=False,
    )
    async with transaction(runtime.sessions) as session:
        session.add(user)
        await session.flush()
        _row, token = await open_session(
            session=session, user_id=user.id, stage=SessionStage.ACTIVE
        )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=_BASE_URL)  # type: ignore[arg-type]
    client.cookies.set(SESSION_COOKIE, token)
    client.headers[CSRF_HEADER] = csrf_token_for(token)
    return client


async def _requests(
    runtime: Runtime, clients: dict[Role, httpx.AsyncClient], history: History
) -> dict[str, float]:
    officer, chief = clients[Role.DUTY_OFFICER], clients[Role.ANTENNA_CHIEF]
    supervisor, auditor = clients[Role.SUPERVISOR], clients[Role.AUDITOR]
    last_audit_page = await _last_audit_page(runtime)
    pages: dict[str, tuple[httpx.AsyncClient, str]] = {
        "duty officers' queue": (officer, "/console/signalements"),
        "late cases view": (officer, "/console/signalements?vue=en_retard"),
        "closed tips view": (officer, "/console/signalements?vue=clos"),
        "queue, API": (officer, "/api/v1/queue"),
        "tip page, prolific source": (officer, f"/console/signalements/{history.prolific_tip}"),
        "chief's cases page": (chief, "/console/dossiers"),
        "chief's /api/v1/cases": (chief, "/api/v1/cases"),
        "supervisor's /api/v1/cases": (supervisor, "/api/v1/cases"),
        "dashboard, 14 days": (supervisor, "/console/tableau-de-bord"),
        "dashboard, 92 days": (supervisor, "/console/tableau-de-bord?jours=92"),
        "audit page 1": (auditor, "/console/audit"),
        "audit last page": (auditor, f"/console/audit?page={last_audit_page}"),
    }
    return {name: await _median(_getting(client, path)) for name, (client, path) in pages.items()}


def _getting(client: httpx.AsyncClient, path: str) -> Timed:
    return lambda: _get(client, path)


async def _get(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code}")


async def _last_audit_page(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        bounds = await sequence_bounds(session=session)
    total = 0 if bounds is None else bounds[1] - bounds[0] + 1
    return max(1, -(-total // PER_PAGE))


async def _sweeps(runtime: Runtime) -> dict[str, float]:
    now = utcnow()

    async def escalation() -> object:
        async with runtime.sessions() as session, session.begin():
            return await overdue_cases(session=session, now=now)

    async def announcement() -> object:
        async with runtime.sessions() as session, session.begin():
            found = await announce_unalerted_cases(session=session, now=now)
            await session.rollback()  # measured, not sent
            return found

    return {
        "escalation sweep": await _median(escalation),
        "announcement sweep": await _median(announcement),
    }


async def _retention(runtime: Runtime) -> tuple[float, bool]:
    """One hourly run, on the day's worth of expired content and numbers the history leaves;
    done when nothing that qualifies is left for the next run."""
    started = time.perf_counter()
    await run_retention(runtime, now=utcnow())
    elapsed = (time.perf_counter() - started) * 1000
    cutoff = utcnow() - timedelta(days=runtime.settings.retention_content_days)
    async with runtime.sessions() as session:
        left = await session.scalar(
            select(func.count())
            .select_from(Tip)
            .where(
                col(Tip.closed_at) <= cutoff,
                col(Tip.content_erased_at).is_(None),
            )
        )
    return elapsed, elapsed < BUDGET_SECONDS * 1000 and not left


async def _verify_audit(runtime: Runtime, settings: Settings) -> None:
    async with runtime.sessions() as session:
        report = await verify_trail(
            session=session, keyring=runtime.keyring, anchor=anchor_path(settings.data_dir)
        )
    if report.broken_at is not None:
        raise RuntimeError(f"audit trail broken at {report.broken_at}")


async def _rotation(settings: Settings, officer: httpx.AsyncClient) -> dict[str, float]:
    """``tipline keys rotate`` while signed SMS arrive every 50 ms: how long it took, and the
    longest any webhook waited meanwhile (row locks held by a re-seal batch would show here)."""
    stop = asyncio.Event()
    waits: list[float] = []

    async def citizens() -> None:
        validator = RequestValidator(_TOKEN)
        number = 0
        while not stop.is_set():
            number += 1
            form = {
                "MessageSid": f"SM{uuid.uuid4().hex}",
                "AccountSid": "AC" + "0" * 32,
                "From": f"+2237{number:07d}",
                "To": "+22380000000",
                "Body": "yamba bɛ feere Kalaban Coura",
                "NumMedia": "0",
            }
            signature = validator.compute_signature(_BASE_URL + _SMS_PATH, form)
            started = time.perf_counter()
            response = await officer.post(
                _SMS_PATH, data=form, headers={"X-Twilio-Signature": signature}
            )
            waits.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"webhook answered {response.status_code}")
            await asyncio.sleep(0.05)

    traffic = asyncio.create_task(citizens())
    started = time.perf_counter()
    try:
        # Past the 2 s in which the running application sees a new keyring file: without it,
        # SMS the application sealed under the old key after the re-seal pass were left to a
        # key the rotation then retired (the next size's rotation could not open them).
        await rotate_keys(settings, settle_seconds=_SETTLE_SECONDS)
    finally:
        stop.set()
        await traffic
    return {
        "keys rotate (whole database)": (time.perf_counter() - started - 2 * _SETTLE_SECONDS)
        * 1000,
        "longest webhook during rotation": max(waits, default=0.0),
    }


async def _median(operation: Timed) -> float:
    await operation()  # warm: the first run pays for plans and templates
    durations = []
    for _ in range(_RUNS):
        started = time.perf_counter()
        await operation()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations) * 1000


async def _once(operation: Timed) -> float:
    started = time.perf_counter()
    await operation()
    return (time.perf_counter() - started) * 1000


# Jobs and commands: reported, but not "requests" for the slowest-request line.
_NOT_REQUESTS = frozenset(
    {
        "retention run (hourly)",
        "audit verify (whole trail)",
        "keys rotate (whole database)",
        "longest webhook during rotation",
        "escalation sweep",
        "announcement sweep",
    }
)


def _report(results: dict[str, dict[int, float]], sizes: list[int], retention_done: bool) -> None:
    header = ["operation", *(f"{size:,}" for size in sizes), "growth"]
    print(" | ".join(header))
    slowest, worst = ("", 0.0), ("", 0.0)
    for name, by_size in results.items():
        growth = by_size[sizes[-1]] / by_size[sizes[-2]] if len(sizes) > 1 else 1.0
        cells = [f"{by_size[size]:,.0f} ms" for size in sizes]
        print(" | ".join([name, *cells, f"{growth:.1f}x"]))
        if name not in _NOT_REQUESTS and by_size[sizes[-1]] > slowest[1]:
            slowest = (name, by_size[sizes[-1]])
        if growth > worst[1]:
            worst = (name, growth)
    print(
        f"scale: slowest request {slowest[1]:.0f} ms ({slowest[0]}) at {sizes[-1]:,}, "
        f"worst growth {worst[1]:.1f}x ({worst[0]}), "
        f"retention {'done' if retention_done else 'unfinished'}",
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main())
