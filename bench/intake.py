"""Intake throughput: Tipline against two baselines, on the same machine, in one run.

1. ``bare``    — a FastAPI endpoint that parses the same Twilio form and answers TwiML;
2. ``durable`` — the same plus one raw asyncpg insert committed before answering;
3. ``tipline`` — the real ``tipline serve`` on PostgreSQL + Redis (signature check, encryption,
   blind index, reporter/tip/message/outbox rows, enqueue).

Each is loaded with the same signed webhooks from a separate process (bench/load.py) at 64
concurrent connections, after a warm-up. Prints tips/s, p50/p99 latency and the ratios (3)/(1)
and (3)/(2). Needs PostgreSQL and Redis (defaults: this machine's).

    python bench/intake.py [--count 3000] [--concurrency 64] [--profile FILE]

``--profile`` records the tipline server with py-spy during the measured load (after the
warm-up), in py-spy's raw format (for speedscope or flamegraph.pl).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/3")
TOKEN = "bench-auth-token"
PUBLIC = "https://tipline.bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def bench_database() -> Iterator[str]:
    name = f"tipline_bench_{uuid.uuid4().hex[:8]}"
    _psql(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _psql(statement: str) -> None:
    subprocess.run(["psql", PG_ADMIN, "-qc", statement], check=True, capture_output=True)


@contextmanager
def server(command: list[str], env: dict[str, str]) -> Iterator[tuple[str, int]]:
    port = free_port()
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=ROOT,
        env=os.environ | env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.post(base + "/channels/sms/twilio", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {base} did not start")


def load(
    base: str, count: int, concurrency: int, profile: str = "", pid: int = 0
) -> dict[str, float]:
    command = [sys.executable, str(ROOT / "bench" / "load.py"), "--base", base]
    command += ["--public", PUBLIC, "--token", TOKEN, "--concurrency", str(concurrency)]
    subprocess.run([*command, "--count", str(min(count, 500))], check=True, capture_output=True)
    with spied(pid, profile):
        done = subprocess.run([*command, "--count", str(count)], check=True, capture_output=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


@contextmanager
def spied(pid: int, profile: str) -> Iterator[None]:
    """py-spy on ``pid`` while the block runs, when a ``profile`` file is asked for."""
    if not profile:
        yield
        return
    options = ["--nonblocking", "--rate", "500", "--format", "raw", "-o", profile]
    spy = subprocess.Popen(
        ["py-spy", "record", *options, "--pid", str(pid)], stdout=subprocess.DEVNULL
    )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its profile on Ctrl-C
        spy.wait(timeout=30)


def measure(count: int, concurrency: int, profile: str = "") -> dict[str, dict[str, float]]:
    uvicorn = [sys.executable, "-m", "uvicorn", "--no-access-log", "--log-level", "warning"]
    results: dict[str, dict[str, float]] = {}
    with bench_database() as pg_url, tempfile.TemporaryDirectory() as data:
        with server([*uvicorn, "bench.baseline_apps:bare"], {}) as (base, _):
            results["bare"] = load(base, count, concurrency)
        env = {"BENCH_ASYNCPG_DSN": pg_url}
        with server([*uvicorn, "bench.baseline_apps:durable"], env) as (base, _):
            results["durable"] = load(base, count, concurrency)
        tipline_env = {
            "TIPLINE_DATA_DIR": data,
            "TIPLINE_DATABASE_URL": pg_url.replace("postgresql://", "postgresql+asyncpg://"),
            "TIPLINE_REDIS_URL": REDIS,
            "TIPLINE_PUBLIC_BASE_URL": PUBLIC,
            "TIPLINE_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TIPLINE_TWILIO_AUTH_TOKEN": TOKEN,
        }
        subprocess.run(
            [sys.executable, "-m", "service.cli", "migrate"],
            cwd=ROOT,
            env=os.environ | tipline_env,
            check=True,
            capture_output=True,
        )
        with server([sys.executable, "-m", "service.cli", "serve"], tipline_env) as (base, pid):
            results["tipline"] = load(base, count, concurrency, profile, pid)
    return results


def report(results: dict[str, dict[str, float]], concurrency: int) -> None:
    print(f"intake: {concurrency} concurrent connections, one API process, {os.cpu_count()} cores")
    print(f"{'server':<10}{'tips/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name, figures in results.items():
        print(
            f"{name:<10}{figures['tips_per_s']:>10}{figures['p50_ms']:>10}"
            f"{figures['p99_ms']:>10}{figures['errors']:>8}"
        )
    tipline = results["tipline"]["tips_per_s"]
    print(f"ratio tipline/bare    = {tipline / results['bare']['tips_per_s']:.2f}")
    print(
        f"ratio tipline/durable = {tipline / results['durable']['tips_per_s']:.2f} (target >= 0.6)"
    )
    print(f"tipline p99 = {results['tipline']['p99_ms']} ms (target <= 100 ms)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--profile", default="", help="py-spy the tipline server into FILE")
    args = parser.parse_args()
    report(measure(args.count, args.concurrency, args.profile), args.concurrency)


if __name__ == "__main__":
    main()
