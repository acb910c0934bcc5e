"""Micro-batching: concurrent jobs of one process hand their work to one runner and await it.

A batch starts when ``max_size`` requests wait, when its oldest request has waited ``window``
seconds, or when no request has come for ``quiet`` seconds (light load: no need to wait for
more). At most ``max_in_flight`` batches run at a time, so under load the next batch grows while
the current one runs. A batch that fails is run again one request at a time, so that one bad
request fails only its own job, except for the errors ``is_fatal`` names (the database is down):
those go to every job of the batch, for them to be retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import structlog

log = structlog.get_logger(__name__)

Request = TypeVar("Request")
Outcome = TypeVar("Outcome")


class MicroBatcher(Generic[Request, Outcome]):
    def __init__(
        self,
        *,
        run_batch: Callable[[Sequence[Request]], Awaitable[Sequence[Outcome]]],
        run_one: Callable[[Request], Awaitable[Outcome]],
        is_fatal: Callable[[BaseException], bool],
        window: float,
        max_size: int,
        quiet: float | None = None,
        max_in_flight: int = 1,
    ) -> None:
        self._run_batch = run_batch
        self._run_one = run_one
        self._is_fatal = is_fatal
        self._window = window
        self._quiet = window if quiet is None else min(quiet, window)
        self._max_size = max_size
        self._max_in_flight = max_in_flight
        # Each waiting request with the loop time it came at.
        self._waiting: list[tuple[Request, asyncio.Future[Outcome], float]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._running: set[asyncio.Task[None]] = set()

    async def submit(self, request: Request) -> Outcome:
        """The request's outcome once its batch has run (and committed)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._waiting.append((request, future, loop.time()))
        self._start_batches()
        # A job cancelled (timed out) while waiting leaves its batch running for the others.
        return await asyncio.shield(future)

    async def close(self) -> None:
        """Stop: running batches are cancelled (rolled back), waiting jobs cancelled."""
        if self._timer is not None:
            self._timer.cancel()
        for task in self._running:
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
        for _, future, _ in self._waiting:
            future.cancel()
        self._waiting.clear()

    def _start_batches(self) -> None:
        while len(self._running) < self._max_in_flight and self._waiting:
            if not self._ready():
                self._wake_when_ready()
                return
            batch = [(request, future) for request, future, _ in self._waiting[: self._max_size]]
            del self._waiting[: self._max_size]
            task = asyncio.create_task(self._run(batch))
            self._running.add(task)
            task.add_done_callback(self._batch_done)

    def _ready(self) -> bool:
        if len(self._waiting) >= self._max_size:
            return True
        now = asyncio.get_running_loop().time()
        oldest, latest = self._waiting[0][2], self._waiting[-1][2]
        return now >= oldest + self._window or now >= latest + self._quiet

    def _wake_when_ready(self) -> None:
        """A timer for the moment the batch is due. A timer already set stays: it fires no later
        than that moment (later requests only move it later), and ``_wake`` sets the next one —
        rather than a cancelled and rescheduled timer for every request."""
        if self._timer is not None:
            return
        oldest, latest = self._waiting[0][2], self._waiting[-1][2]
        at = min(oldest + self._window, latest + self._quiet)
        self._timer = asyncio.get_running_loop().call_at(at, self._wake)

    def _wake(self) -> None:
        self._timer = None
        self._start_batches()

    def _batch_done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._start_batches()

    async def _run(self, batch: list[tuple[Request, asyncio.Future[Outcome]]]) -> None:
        try:
            outcomes = await self._run_batch([request for request, _ in batch])
        # Not swallowed: the batch is run again one request at a time, and each request's own
        # error, whatever it is, goes to its own job.
        except Exception as error:
            if self._is_fatal(error):
                for _, future in batch:
                    _fail(future, error)
                return
            log.warning("batch_failed_one_by_one", error=type(error).__name__, size=len(batch))
            await self._run_one_by_one(batch)
        else:
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                _resolve(future, outcome)
        finally:
            for _, future in batch:
                if not future.done():  # cancelled while running (shutdown)
                    future.cancel()

    async def _run_one_by_one(self, batch: list[tuple[Request, asyncio.Future[Outcome]]]) -> None:
        for request, future in batch:
            try:
                outcome = await self._run_one(request)
            except Exception as error:  # its own job's failure, as without batching
                _fail(future, error)
            else:
                _resolve(future, outcome)


def _resolve(future: asyncio.Future[Outcome], outcome: Outcome) -> None:
    if not future.done():  # done: its job was cancelled
        future.set_result(outcome)


def _fail(future: asyncio.Future[Outcome], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
