"""Group commit: requests that arrive together share one database transaction.

While one batch is being written, the next requests wait and then go together: a quiet line
still writes each request at once (a batch of one), and a busy one writes a few hundred per
transaction instead of paying a transaction each.

A line busy enough that a batch was written moments ago (``busy_seconds``) but not enough that
requests pile up during a write (30 to 100 a second: a campaign's steady pace) would still write
one request per transaction, and each queues a job whose cost is mostly fixed: there the writer
lingers up to ``linger_seconds`` for ``gather`` requests before it writes (as PostgreSQL's
``commit_delay`` waits only when other transactions are active). It lingers only while that
pays: once requests have come together (a batch of several), and until a linger finds nobody
(a lone caller sending one request after another would only be slowed). A quiet line never
waits.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import structlog

log = structlog.get_logger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """Hands batches of submitted items to ``write``, one batch at a time.

    ``write`` returns one result per item, in order. When it raises, every item of the batch is
    answered ``None``: the caller stores its own item alone, as a batch of one with its own
    retries and fallbacks (one bad item must not sink the others) — unless ``shared`` says the
    error is one each item would meet alone (the database is down): then every caller gets it,
    at once, instead of waiting for it a second time.
    """

    def __init__(
        self,
        write: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]],
        *,
        max_batch: int = 256,
        shared: Callable[[Exception], bool] = lambda _error: False,
        linger_seconds: float = 0.0,
        gather: int = 32,
        busy_seconds: float = 0.25,
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._shared = shared
        self._linger = linger_seconds
        self._gather = min(gather, max_batch)
        self._busy = busy_seconds
        self._waiting: list[tuple[Item, asyncio.Future[Result | None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._last_write = float("-inf")  # time.monotonic() when the last batch was taken
        self._gathered: asyncio.Event | None = None  # set when ``gather`` requests wait
        self._lingering_pays = False  # requests came together lately

    async def submit(self, item: Item) -> Result | None:
        future: asyncio.Future[Result | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._gathered is not None and len(self._waiting) >= self._gather:
            self._gathered.set()
        if self._writer is None or self._writer.done():
            # A fresh context: the batch belongs to no single request (nor its request id).
            self._writer = asyncio.create_task(
                self._write_all(), name="group-commit", context=contextvars.Context()
            )
        return await future

    async def _write_all(self) -> None:
        try:
            while self._waiting:
                await self._linger_if_busy()
                self._last_write = time.monotonic()
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                self._lingering_pays = self._lingering_pays or len(batch) > 1
                await self._write_one(batch)
        finally:
            # Cancelled while lingering (shutdown): each waiting caller stores its item alone.
            for _, future in self._waiting:
                if not future.done():
                    future.set_result(None)

    async def _linger_if_busy(self) -> None:
        """On a busy line with few requests waiting, wait a moment for more."""
        if not self._lingering_pays or self._linger <= 0 or len(self._waiting) >= self._gather:
            return
        if time.monotonic() - self._last_write > self._busy:
            return  # a quiet line: write at once
        waiting = len(self._waiting)
        self._gathered = asyncio.Event()
        try:
            await asyncio.wait_for(self._gathered.wait(), self._linger)
        except TimeoutError:
            pass
        finally:
            self._gathered = None
        if len(self._waiting) == waiting:
            self._lingering_pays = False  # nobody came: no more waiting until some come together

    async def _write_one(self, batch: list[tuple[Item, asyncio.Future[Result | None]]]) -> None:
        try:
            results = await self._write([item for item, _ in batch])
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():  # a caller whose request was cancelled no longer waits
                    future.set_result(result)
        except Exception as error:
            shared = self._shared(error)
            # A shared failure is its callers' to report (intake logs the outage once).
            (log.debug if shared else log.warning)(
                "group_commit_failed", size=len(batch), error=type(error).__name__
            )
            if shared:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
        finally:
            # Failed or cancelled (shutdown): each caller stores its item alone; an item the
            # batch did store is then found again by its unique provider id.
            for _, future in batch:
                if not future.done():
                    future.set_result(None)
