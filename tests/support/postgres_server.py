"""A throwaway PostgreSQL cluster the test owns, so it may stop and restart it.

The machine's PostgreSQL is shared with every other test and is never stopped: fault tests run
their own cluster (initdb into a temporary directory owned by the ``postgres`` OS user, trust
authentication, a free loopback port, its socket in that directory).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from service.core.migrate import upgrade_to_head

_OS_USER = "postgres"


class OwnPostgresServer:
    def __init__(self) -> None:
        self._bin = _postgres_bin()
        self.port = _free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="tipline-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.running = False

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        shutil.chown(self.directory, user=_OS_USER, group=_OS_USER)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    def start(self) -> None:
        self._pg_ctl("start", "-l", str(self.log), "-o", self._options())
        self.running = True

    def stop(self) -> None:
        """A fast shutdown: open transactions are rolled back, clients are disconnected."""
        self._pg_ctl("stop", "-m", "fast")
        self.running = False

    def start_if_stopped(self) -> None:
        """After a test that failed half-way through an outage, for the next one."""
        if not self.running:
            self.start()

    def create_database(self, name: str, *, migrated: bool = True) -> str:
        """A fresh database, migrated to head unless told otherwise; its URL."""
        self._run("createdb", "-h", str(self.directory), "-p", str(self.port), name)
        url = self.url(name)
        if migrated:
            upgrade_to_head(url)
        return url

    def destroy(self) -> None:
        if self.running:
            self._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
            " -c max_connections=200"
        )

    def _pg_ctl(self, action: str, *arguments: str) -> None:
        self._run("pg_ctl", action, "-D", str(self.data), "-w", "-t", "60", *arguments)

    def _run(self, program: str, *arguments: str) -> None:
        command = ["runuser", "-u", _OS_USER, "--", str(self._bin / program), *arguments]
        done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
        if done.returncode != 0:
            pytest.fail(f"{program} {arguments[:1]} failed: {done.stderr.strip()[-500:]}")


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found or os.geteuid() != 0 or shutil.which("runuser") is None:
        reason = "an own PostgreSQL cluster needs root, runuser and /usr/lib/postgresql"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
