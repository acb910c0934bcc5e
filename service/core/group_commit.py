"""Group commit: requests that arrive together share one database transaction.

While one batch is being written, the next requests wait and then go together: a quiet line
still writes each request at once (a batch of one), and a busy one writes a few hundred per
transaction instead of paying a transaction each. No timer is involved, so batching never adds
latency of its own.
"""

from __future__ import annotations

import asyncio
import contextvars
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
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._shared = shared
        self._waiting: list[tuple[Item, asyncio.Future[Result | None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result | None:
        future: asyncio.Future[Result | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._writer is None or self._writer.done():
            # A fresh context: the batch belongs to no single request (nor its request id).
            self._writer = asyncio.create_task(
                self._write_all(), name="group-commit", context=contextvars.Context()
            )
        return await future

    async def _write_all(self) -> None:
        while self._waiting:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            await self._write_one(batch)

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
