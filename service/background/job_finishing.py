"""Finishing the jobs that end together in one MULTI/EXEC instead of one each.

A triage batch resolves a couple of hundred jobs at once; each then finishes in arq with its own
transaction (delete its keys, drop it from the queue). Here the finishes asked for in one turn of
the event loop are written in one transaction, started on the next turn, and each caller returns
once it has committed — or gets its error, as it would have alone.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from arq.constants import (
    abort_jobs_ss,
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from arq.utils import to_ms
from redis.asyncio.client import Pipeline

if TYPE_CHECKING:
    from arq.worker import Worker


@dataclass(frozen=True, slots=True)
class Finish:
    """arq's ``finish_job`` arguments for one job."""

    job_id: str
    finish: bool
    result_data: bytes | None
    result_timeout_s: float | None
    keep_result_forever: bool
    incr_score: int | None
    keep_in_progress: float | None

    def write(self, tr: Pipeline, queue_name: str) -> None:
        """The commands arq's ``finish_job`` sends for this job."""
        in_progress_key = in_progress_key_prefix + self.job_id
        delete_keys = []
        if self.keep_in_progress is None:
            delete_keys.append(in_progress_key)
        else:
            tr.pexpire(in_progress_key, to_ms(self.keep_in_progress))
        if self.finish:
            if self.result_data:
                expire = None if self.keep_result_forever else self.result_timeout_s
                tr.set(result_key_prefix + self.job_id, self.result_data, px=to_ms(expire))
            delete_keys += [retry_key_prefix + self.job_id, job_key_prefix + self.job_id]
            tr.zrem(abort_jobs_ss, self.job_id)
            tr.zrem(queue_name, self.job_id)
        elif self.incr_score:
            tr.zincrby(queue_name, self.incr_score, self.job_id)
        if delete_keys:
            tr.delete(*delete_keys)


class FinishBatcher:
    def __init__(self, worker: Worker) -> None:
        self._worker = worker
        self._waiting: list[tuple[Finish, asyncio.Future[None]]] = []
        self._writes: set[asyncio.Task[None]] = set()

    async def finish(self, finish: Finish) -> None:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._start_write)
        self._waiting.append((finish, future))
        await future

    def _start_write(self) -> None:
        batch, self._waiting = self._waiting, []
        task = asyncio.get_running_loop().create_task(self._write(batch))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write(self, batch: list[tuple[Finish, asyncio.Future[None]]]) -> None:
        try:
            async with self._worker.pool.pipeline(transaction=True) as tr:
                for finish, _ in batch:
                    finish.write(tr, self._worker.queue_name)
                await tr.execute()
        except BaseException as error:  # each caller gets it, as from its own transaction
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            if not isinstance(error, Exception):
                raise
        else:
            for _, future in batch:
                if not future.done():
                    future.set_result(None)
