"""The micro-batcher: concurrent jobs run as one batch; a database outage reaches every job."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from service.core.batching import MicroBatcher


class Recorder:
    def __init__(self, fail_batch: Exception | None = None) -> None:
        self.batches: list[list[int]] = []
        self.alone: list[int] = []
        self._fail_batch = fail_batch

    async def run_batch(self, requests: Sequence[int]) -> list[int]:
        self.batches.append(list(requests))
        if self._fail_batch is not None:
            raise self._fail_batch
        return [request * 10 for request in requests]

    async def run_one(self, request: int) -> int:
        self.alone.append(request)
        if request == 2:
            raise ValueError("bad request")
        return request * 10

    def batcher(self, *, fatal: bool = False, max_size: int = 3) -> MicroBatcher[int, int]:
        return MicroBatcher(
            run_batch=self.run_batch,
            run_one=self.run_one,
            is_fatal=lambda _: fatal,
            window=0.001,
            max_size=max_size,
        )


async def test_jobs_submitted_together_run_in_batches_of_at_most_max_size() -> None:
    recorder = Recorder()
    batcher = recorder.batcher()

    outcomes = await asyncio.gather(*(batcher.submit(n) for n in range(5)))

    assert outcomes == [0, 10, 20, 30, 40]
    assert recorder.batches == [[0, 1, 2], [3, 4]]


async def test_a_failed_batch_runs_again_one_request_at_a_time() -> None:
    recorder = Recorder(fail_batch=RuntimeError("one bad request"))
    batcher = recorder.batcher()

    outcomes = await asyncio.gather(*(batcher.submit(n) for n in range(3)), return_exceptions=True)

    assert outcomes[:2] == [0, 10]
    assert isinstance(outcomes[2], ValueError)
    assert recorder.alone == [0, 1, 2]


async def test_a_database_outage_goes_to_every_job_of_the_batch_for_a_retry() -> None:
    outage = ConnectionRefusedError("database down")
    recorder = Recorder(fail_batch=outage)
    batcher = recorder.batcher(fatal=True)

    outcomes = await asyncio.gather(*(batcher.submit(n) for n in range(3)), return_exceptions=True)

    assert outcomes == [outage, outage, outage]
    assert recorder.alone == []
    with pytest.raises(ConnectionRefusedError):
        await batcher.submit(4)


async def test_a_lone_request_does_not_wait_for_the_whole_window() -> None:
    recorder = Recorder()
    batcher = MicroBatcher(
        run_batch=recorder.run_batch,
        run_one=recorder.run_one,
        is_fatal=lambda _: False,
        window=30.0,
        quiet=0.001,
        max_size=10,
    )

    assert await asyncio.wait_for(batcher.submit(1), timeout=5) == 10
