"""Sweeps for personal data: everything an attacker or a careless admin could read."""

from __future__ import annotations

import shutil
import subprocess

from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from tests.support.inspect import raw_rows_text, sqlite_file_bytes


async def database_text(url: str) -> str:
    """Raw rows, plus the SQLite file on disk or a pg_dump of the PostgreSQL database."""
    rows = await raw_rows_text(url)
    if url.startswith("sqlite"):
        return rows + sqlite_file_bytes(url).decode("latin-1")
    return rows + pg_dump(url)


def pg_dump(url: str) -> str:
    binary = shutil.which("pg_dump")
    assert binary is not None, "pg_dump is needed to sweep the PostgreSQL database"
    parsed = make_url(url)
    command = [binary, "-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432)]
    command += ["-U", parsed.username or "postgres", "--data-only", parsed.database or ""]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


async def redis_text(url: str) -> str:
    """Every key and the DUMP of every value in the Redis database."""
    redis = Redis.from_url(url)
    parts: list[str] = []
    try:
        async for key in redis.scan_iter(count=500):
            parts.append(key.decode("latin-1"))
            dumped = await redis.dump(key)
            if dumped is not None:
                parts.append(dumped.decode("latin-1"))
    finally:
        await redis.aclose()
    return "\n".join(parts)


def found(needles: list[str], haystacks: dict[str, str]) -> list[tuple[str, str]]:
    """(needle, where) for every needle present; folding case so no spelling slips through."""
    return [
        (needle, where)
        for where, text in haystacks.items()
        for needle in needles
        if needle.casefold() in text.casefold()
    ]
