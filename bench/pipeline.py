"""The whole pipeline on PostgreSQL + Redis: webhook → outbox → arq → triage decision.

1. Steady load: ``--rate`` signed webhooks per second for ``--seconds`` (open loop), against one
   ``tipline serve`` and one ``tipline worker``; prints p50/p95/p99 webhook-to-decision latency.
2. Drain: with the worker stopped, ``--backlog`` tips are taken in; a worker is started, and the
   time from its first decision to its last gives the drain rate (jobs/s for one worker; its
   start-up is printed apart), with the worker's CPU over that time and the database
   transactions per stored batch (which the machine's load does not move).
3. The API's peak RSS (VmHWM) over the run.

Between the two, when the server runs without autovacuum (this machine's CI configuration), the
tables are analyzed, as autovacuum would have after the steady load's thousands of rows: without
statistics PostgreSQL reads whole tables for look-ups by key (``--no-analyze`` keeps them so).

    python bench/pipeline.py [--rate 100] [--seconds 60] [--backlog 3000] [--repeated]
                             [--profile-drain FILE] [--profile-steady FILE] [--no-analyze]

The texts are a campaign's mix by default; ``--repeated`` makes every tip repeat 25 others, the
worst case for duplicate detection. ``--profile-drain`` records the draining worker with py-spy,
``--profile-steady`` the one under the steady load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import asyncpg
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.intake import PUBLIC, REDIS, TOKEN, bench_database, server, spied
from bench.triage import corpus
from triage import load_ruleset

ROOT = Path(__file__).resolve().parent.parent
PATH = "/channels/sms/twilio"
# Five texts that differ only by a number: every tip repeats the 25 tips before it, the worst
# case for duplicate detection (25 comparisons and 25 links per tip).
REPEATED = [
    "yamba bɛ feere Kalaban Coura bi su, kɔfɛ marché",
    "Un camion de chanvre quitte Koutiala cette nuit pour Ségou",
    "tramadol caaman bɛ mobili kɔnɔ Fana sisan",
    "Les élèves du lycée de Niono achètent du diazépam devant l'école",
    "demain a 10h livraison de 50 kg de cannabis a Sabalibougou",
]

RETOLD_EVERY = 10


def bodies(count: int, repeated: bool) -> list[str]:
    """What the reporters write. By default a campaign's mix: bench/triage.py's generated tips
    (templates, places, substances, SMS noise), one in ten retelling an earlier one from
    another number. With ``repeated``, the worst case above."""
    if repeated:
        return [f"{REPEATED[n % len(REPEATED)]} ({n})" for n in range(count)]
    texts = [tip.text for tip in corpus(load_ruleset(), count, seed=7)]
    rng = random.Random(7)
    for n in range(RETOLD_EVERY, count, RETOLD_EVERY):
        texts[n] = texts[rng.randrange(n)] + " svp"
    return texts


def signed(number: int, body: str) -> tuple[dict[str, str], str]:
    form = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": "AC" + "0" * 32,
        "From": f"+2236{number:07d}",
        "To": "+22380000000",
        "Body": body,
        "NumMedia": "0",
    }
    return form, RequestValidator(TOKEN).compute_signature(PUBLIC + PATH, form)


async def post(
    session: aiohttp.ClientSession, base: str, number: int, body: str
) -> tuple[str, float]:
    """(reference, time sent); the reference is "" when the webhook was not answered 200."""
    form, signature = signed(number, body)
    sent = time.time()
    async with session.post(base + PATH, data=form, headers={"X-Twilio-Signature": signature}) as r:
        text = await r.text()
    if r.status != 200 or "Référence " not in text:
        print(f"webhook answered {r.status}: {text[:120]}")
        return "", sent
    return text.split("Référence ")[1][:13], sent


async def steady_load(
    base: str, rate: int, seconds: int, texts: list[str], first: int = 0
) -> dict[str, float]:
    """Signed webhooks at ``rate`` per second, each from a new number counted from ``first``
    with its text from ``texts``."""
    async with aiohttp.ClientSession() as session:
        tasks = []
        start = time.monotonic()
        for number in range(rate * seconds):
            await asyncio.sleep(max(0.0, start + number / rate - time.monotonic()))
            n = first + number
            tasks.append(asyncio.create_task(post(session, base, n, texts[n])))
        answered = dict(await asyncio.gather(*tasks))
    answered.pop("", None)
    return answered


async def decided_at(pg_url: str, references: list[str], timeout: float) -> dict[str, float]:
    connection = await asyncpg.connect(pg_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            rows = await connection.fetch(
                "SELECT t.reference, min(d.created_at) AS at FROM tips t "
                "JOIN triage_decisions d ON d.tip_id = t.id "
                "WHERE t.reference = ANY($1::text[]) GROUP BY t.reference",
                references,
            )
            if len(rows) == len(references) or time.monotonic() > deadline:
                return {row["reference"]: row["at"].timestamp() for row in rows}
            await asyncio.sleep(0.5)
    finally:
        await connection.close()


async def analyze_as_autovacuum_would(pg_url: str) -> bool:
    """ANALYZE when the server has autovacuum off; whether it did."""
    connection = await asyncpg.connect(pg_url)
    try:
        if await connection.fetchval("SHOW autovacuum") == "on":
            return False
        await connection.execute("ANALYZE")
        return True
    finally:
        await connection.close()


async def database_counts(pg_url: str) -> tuple[int, int]:
    """(triage jobs queued, transactions committed or rolled back) in the bench database so far;
    SQLAlchemy's pre-ping counts as a transaction. Read once the worker's connections are
    closed, which flushes their counts: unlike the timings, this does not depend on what else
    the machine runs."""
    await asyncio.sleep(1.5)  # PostgreSQL flushes a backend's counts at most once a second
    connection = await asyncpg.connect(pg_url)
    try:
        triage: int = await connection.fetchval(
            "SELECT count(*) FROM outbox WHERE job_name = 'triage_tip'"
        )
        transactions: int = await connection.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = current_database()"
        )
    finally:
        await connection.close()
    return triage, transactions


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def worker(
    env: dict[str, str], profile: str = "", cpu: list[tuple[float, float]] | None = None
) -> Iterator[None]:
    """One ``tipline worker``; with ``profile``, run under py-spy, which writes its flame graph
    (py-spy's --format raw, for speedscope or flamegraph.pl) there when the worker stops. With
    ``cpu``, its CPU time is sampled into it as (wall clock, CPU seconds) every 20 ms."""
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "worker"],
        cwd=ROOT,
        env=os.environ | env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stop = threading.Event()
    sampler = threading.Thread(
        target=_sample_cpu, args=(process.pid, [] if cpu is None else cpu, stop)
    )
    try:
        sampler.start()
        _wait_until_polling(env["TIPLINE_REDIS_URL"])
        with spied(process.pid, profile):
            yield
    finally:
        stop.set()
        sampler.join()
        process.terminate()
        process.wait(timeout=30)


def _sample_cpu(pid: int, samples: list[tuple[float, float]], stop: threading.Event) -> None:
    while not stop.wait(0.02):
        samples.append((time.time(), cpu_seconds(pid)))


def cpu_between(samples: list[tuple[float, float]], start: float, end: float) -> float:
    """The CPU time a process used between two moments, from its samples. The worker's first
    health check comes only after its first poll has started a hundred jobs, so the CPU it used
    "once polling" missed most of a small drain: the window is the drain's own, from the first
    decision to the last."""
    at = [cpu for sampled, cpu in samples if sampled <= start] or [0.0]
    until = [cpu for sampled, cpu in samples if sampled <= end + 0.02] or [0.0]
    return until[-1] - at[-1]


def _wait_until_polling(redis_url: str) -> None:
    """The worker's first health check in Redis: its start-up (imports, rules, relay) is done,
    so the latencies measure the pipeline, not a process starting."""
    key = "arq:queue:health-check"
    subprocess.run(["redis-cli", "-u", redis_url, "del", key], check=True, capture_output=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = subprocess.run(
            ["redis-cli", "-u", redis_url, "exists", key], capture_output=True, text=True
        )
        if found.stdout.strip() == "1":
            return
        time.sleep(0.1)
    raise RuntimeError("the worker did not start polling")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], cut: int) -> float:
    return statistics.quantiles(values, n=100)[cut - 1]


def run(
    rate: int,
    seconds: int,
    backlog: int,
    repeated: bool,
    profile: str = "",
    steady_profile: str = "",
    analyze: bool = True,
) -> None:
    texts = bodies(rate * seconds + max(1, backlog // 500) * 500, repeated)
    print(f"texts: {'five repeated (the worst case)' if repeated else 'a campaign mix'}")
    with bench_database() as pg_url, tempfile.TemporaryDirectory() as data:
        env = {
            "TIPLINE_DATA_DIR": data,
            "TIPLINE_DATABASE_URL": pg_url.replace("postgresql://", "postgresql+asyncpg://"),
            "TIPLINE_REDIS_URL": REDIS,
            "TIPLINE_PUBLIC_BASE_URL": PUBLIC,
            "TIPLINE_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TIPLINE_TWILIO_AUTH_TOKEN": TOKEN,
            "TIPLINE_LOG_LEVEL": "WARNING",
        }
        subprocess.run(["redis-cli", "-u", REDIS, "flushdb"], check=True, capture_output=True)
        subprocess.run(
            [sys.executable, "-m", "service.cli", "migrate"],
            cwd=ROOT,
            env=os.environ | env,
            check=True,
            capture_output=True,
        )
        with server([sys.executable, "-m", "bench.twilio_stub"], {}) as (twilio, _):
            # Every text is erased at Twilio by a job of its own: a stub answers them at once.
            env["TIPLINE_TWILIO_API_BASE_URL"] = twilio
            measure(env, pg_url, rate, seconds, backlog, texts, profile, steady_profile, analyze)


def measure(
    env: dict[str, str],
    pg_url: str,
    rate: int,
    seconds: int,
    backlog: int,
    texts: list[str],
    profile: str,
    steady_profile: str = "",
    analyze: bool = True,
) -> None:
    """The three measures against one ``tipline serve`` and a worker started twice."""
    with server([sys.executable, "-m", "service.cli", "serve"], env) as (base, api_pid):
        steady_cpu: list[tuple[float, float]] = []
        with worker(env, steady_profile, steady_cpu):
            started = time.time()
            sent = asyncio.run(steady_load(base, rate, seconds, texts))
            decided = asyncio.run(decided_at(pg_url, list(sent), timeout=60))
        latencies = [decided[ref] - sent[ref] for ref in sent if ref in decided]
        steady_batches, _ = asyncio.run(database_counts(pg_url))
        print(
            f"steady load: {rate} tips/s for {seconds} s, {len(sent)} tips, {len(decided)} decided"
            f" in {steady_batches} stored batches ({len(sent) / max(steady_batches, 1):.1f} "
            "tips each)"
        )
        until = max(decided.values(), default=started)
        steady = cpu_between(steady_cpu, started, until) / max(len(decided), 1) * 1000
        print(f"worker CPU during the steady load: {steady:.2f} ms/tip")
        print(
            f"webhook-to-decision p50 {percentile(latencies, 50) * 1000:.0f} ms, "
            f"p95 {percentile(latencies, 95) * 1000:.0f} ms, "
            f"p99 {percentile(latencies, 99) * 1000:.0f} ms (target p95 <= 1000 ms)"
        )
        if analyze and asyncio.run(analyze_as_autovacuum_would(pg_url)):
            print("autovacuum is off on this server: tables analyzed after the steady load")
        backlog_sent = asyncio.run(
            steady_load(base, 500, max(1, backlog // 500), texts, first=rate * seconds)
        )
        started = time.time()
        cpu: list[tuple[float, float]] = []
        batches, transactions = asyncio.run(database_counts(pg_url))
        with worker(env, profile, cpu):
            done = asyncio.run(decided_at(pg_url, list(backlog_sent), timeout=300))
        _, transactions_now = asyncio.run(database_counts(pg_url))
        print_drain(done, len(backlog_sent), started)
        drain_cpu = cpu_between(cpu, min(done.values()), max(done.values())) if done else 0.0
        per_tip = drain_cpu / max(len(done), 1) * 1000
        print(f"worker CPU during the drain: {drain_cpu:.1f} s, {per_tip:.2f} ms/tip")
        batches = max(batches - steady_batches, 1)
        print(
            f"database transactions during the drain: {transactions_now - transactions} for "
            f"{batches} stored batches = {(transactions_now - transactions) / batches:.1f} "
            "per batch"
        )
        print(f"API peak RSS {peak_rss_mb(api_pid):.0f} MB (target <= 200 MB)")
        print(f"machine: {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}")


def print_drain(done: dict[str, float], backlog: int, started: float) -> None:
    """The drain rate from the worker's first decision to its last: its start-up (importing,
    connecting, the outbox relay's first pass) is shown apart, not counted in the rate."""
    first, last = (min(done.values()), max(done.values())) if done else (started, started)
    print(
        f"drain: {len(done)}/{backlog} tips by one worker in {last - first:.1f} s from its first "
        f"decision to its last = {len(done) / max(last - first, 1e-9):.0f} tips/s "
        f"(target >= 1000); start-up to the first decision {first - started:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--backlog", type=int, default=3000)
    parser.add_argument(
        "--repeated", action="store_true", help="every tip repeats 25 others (worst case)"
    )
    parser.add_argument("--profile-drain", default="", help="py-spy the draining worker into FILE")
    parser.add_argument(
        "--profile-steady", default="", help="py-spy the worker under the steady load into FILE"
    )
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="leave the tables unanalyzed when the server has autovacuum off",
    )
    args = parser.parse_args()
    run(
        args.rate,
        args.seconds,
        args.backlog,
        args.repeated,
        args.profile_drain,
        args.profile_steady,
        not args.no_analyze,
    )


if __name__ == "__main__":
    main()
