"""A TCP proxy in front of PostgreSQL (or Redis) that a fault test controls: it passes, cuts,
refuses, black-holes, slows, or answers like a server still starting up.

It runs its own event loop in a thread, so a test blocking its own loop (waiting for a process
to stop) never stalls the database traffic of the processes under test. Loopback only.

- ``passing()``: bytes flow both ways; new connections reach the server.
- ``cut()``: every open connection is closed at once (a restart, a firewall reset); new ones pass.
- ``refusing()``: every open connection is closed and new ones are refused (the server is down).
- ``black_hole()``: a partition. Nothing is forwarded either way and nothing is closed: open
  connections go silent, new ones are accepted and never answered. Whatever is sent meanwhile is
  lost, and the silent connections are closed when the proxy passes again (as TCP gives up on a
  long partition), so no statement sent during the partition reaches the server afterwards.
- ``slowed(seconds)``: every chunk, either way, is forwarded that much later (a slow link),
  which widens the gaps between a client's round trips for a race to be caught in.
- ``starting_up()``: new connections are answered as PostgreSQL answers while it starts
  (FATAL, SQLSTATE 57P03); open ones are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
import struct
import threading
from collections.abc import Coroutine
from typing import Any

_SSL_REQUEST = 80877103
_CHUNK = 64 * 1024


class Mode(enum.Enum):
    PASS = "pass"
    REFUSE = "refuse"
    BLACK_HOLE = "black hole"
    STARTING_UP = "starting up"


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self._target = (target_host, target_port)
        self.port = _free_port()
        self.mode = Mode.PASS
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self.accepted = 0
        self.delay = 0.0

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self._thread.start()
        self._call(self._listen())

    def stop(self) -> None:
        self._call(self._set(Mode.REFUSE))
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def passing(self) -> None:
        self._call(self._set(Mode.PASS))

    def cut(self) -> None:
        self._call(self._close_all())

    def refusing(self) -> None:
        self._call(self._set(Mode.REFUSE))

    def black_hole(self) -> None:
        self._call(self._set(Mode.BLACK_HOLE))

    def slowed(self, seconds: float) -> None:
        self.delay = seconds

    def starting_up(self) -> None:
        self._call(self._set(Mode.STARTING_UP))

    # In the proxy's own loop ---------------------------------------------------------------

    def _call(self, work: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._accept, "127.0.0.1", self.port, reuse_address=True
            )

    async def _set(self, mode: Mode) -> None:
        previous, self.mode = self.mode, mode
        if mode is not Mode.REFUSE:
            await self._listen()
        if mode is Mode.PASS:
            if previous is Mode.BLACK_HOLE:
                await self._close_all()
            return
        if mode is Mode.BLACK_HOLE:
            return
        await self._close_all()
        if mode is Mode.REFUSE and self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _close_all(self) -> None:
        for link in list(self._links):
            link.close()
        self._links.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.mode is Mode.STARTING_UP:
            await _answer_starting_up(reader, writer)
            return
        link = _Link(self, writer)
        self._links.add(link)
        try:
            await link.run(reader, self._target)
        finally:
            link.close()
            self._links.discard(link)


class _Link:
    """One client connection and, once the proxy passes, its connection to the server."""

    def __init__(self, proxy: TcpProxy, client: asyncio.StreamWriter) -> None:
        self._proxy = proxy
        self._client = client
        self._server: asyncio.StreamWriter | None = None
        self._closed = False

    async def run(self, client: asyncio.StreamReader, target: tuple[str, int]) -> None:
        while self._proxy.mode is Mode.BLACK_HOLE:  # accepted, never answered
            if not await client.read(_CHUNK):
                return
        if self._closed:
            return
        try:
            server, self._server = await asyncio.open_connection(*target)
        except OSError:
            return
        await asyncio.gather(self._pump(client, self._server), self._pump(server, self._client))

    async def _pump(self, source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
        try:
            while not self._closed:
                data = await source.read(_CHUNK)
                if not data:
                    break
                if self._proxy.mode is Mode.BLACK_HOLE:
                    continue  # lost in the partition
                if self._proxy.delay:
                    await asyncio.sleep(self._proxy.delay)
                target.write(data)
                await target.drain()
        except OSError:
            pass
        finally:
            self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for writer in (self._client, self._server):
            if writer is not None:
                with contextlib.suppress(OSError, RuntimeError):
                    writer.transport.abort()


async def _answer_starting_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """PostgreSQL's answer to a client while it starts: no TLS, then FATAL 57P03."""
    try:
        async with asyncio.timeout(5):
            length, code = struct.unpack("!II", await reader.readexactly(8))
            if code == _SSL_REQUEST:
                writer.write(b"N")
                await writer.drain()
                length, code = struct.unpack("!II", await reader.readexactly(8))
            await reader.readexactly(length - 8)
            fields = b"SFATAL\0VFATAL\0C57P03\0Mthe database system is starting up\0\0"
            writer.write(b"E" + struct.pack("!I", len(fields) + 4) + fields)
            await writer.drain()
    except (OSError, asyncio.IncompleteReadError, TimeoutError):
        pass
    finally:
        writer.transport.abort()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
