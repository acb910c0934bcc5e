"""Running a plain job the claim already read: arq's ``run_job`` without its read round trip.

The outcomes are arq's: a return finishes the job, ``Retry`` puts it back with its delay,
``RetryJob`` or a cancellation (shutdown) leaves it queued for another try, any other error —
a timeout included — fails it for good and is logged. The job runs in its own task's context
under ``asyncio.timeout`` rather than in a second task under ``wait_for``: aborts, which need that
task, are left to arq (``service.background.claiming_worker``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from arq.jobs import SerializationError, deserialize_job_raw, serialize_result
from arq.utils import args_to_string, ms_to_datetime, timestamp_ms, truncate
from arq.worker import Function, Retry, RetryJob

if TYPE_CHECKING:
    from arq.worker import Worker

# arq's logger and line formats, so that logging's filter on per-job lines applies unchanged.
log = logging.getLogger("arq.worker")


@dataclass(frozen=True, slots=True)
class FetchedJob:
    """A job as the claim returned it: ``raw`` is None when its definition had expired."""

    job_id: str
    score: int
    raw: bytes | None
    job_try: int


@dataclass(frozen=True, slots=True)
class PlainJob:
    job: FetchedJob
    function: Function
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    enqueue_time_ms: int

    @property
    def ref(self) -> str:
        return f"{self.job.job_id}:{self.function.name}"


def plain_job(worker: Worker, job: FetchedJob) -> PlainJob | None:
    """The job ready to run, or None when arq's own handling is needed (expired, unreadable,
    unknown function, cron job, a try count carried by the enqueue, no tries left)."""
    if not job.raw:
        return None
    try:
        name, args, kwargs, enqueue_try, enqueue_time_ms = deserialize_job_raw(
            job.raw, deserializer=worker.job_deserializer
        )
    except SerializationError:
        return None
    function = worker.functions.get(name)
    if not isinstance(function, Function) or (enqueue_try and enqueue_try > job.job_try):
        return None
    max_tries = worker.max_tries if function.max_tries is None else function.max_tries
    if job.job_try > max_tries:
        return None
    return PlainJob(job, function, args, kwargs, enqueue_time_ms)


async def run_fetched(worker: Worker, plain: PlainJob) -> None:
    job, function = plain.job, plain.function
    ctx = {
        **worker.ctx,
        "job_id": job.job_id,
        "job_try": job.job_try,
        "enqueue_time": ms_to_datetime(plain.enqueue_time_ms),
        "score": job.score,
    }
    timeout_s = worker.job_timeout_s if function.timeout_s is None else function.timeout_s
    start_ms = timestamp_ms()
    _log_start(plain, start_ms)
    result: Any = None
    finish, incr_score = True, None
    try:
        async with asyncio.timeout(timeout_s):
            result = await function.coroutine(ctx, *plain.args, **plain.kwargs)
    except (Exception, asyncio.CancelledError) as error:
        result = error
        finish, incr_score = _after_failure(worker, plain, error, start_ms)
    else:
        worker.jobs_complete += 1
        shown = "" if result is None or not worker.log_results else truncate(repr(result))
        log.info("%6.2fs ← %s ● %s", (timestamp_ms() - start_ms) / 1000, plain.ref, shown)
    await asyncio.shield(
        worker.finish_job(
            job.job_id,
            finish,
            _result_data(worker, plain, result, start_ms) if finish else None,
            _keep_result_s(worker, function),
            _keep_result_forever(worker, function),
            incr_score,
            None,
        )
    )


def _log_start(plain: PlainJob, start_ms: int) -> None:
    extra = f" try={plain.job.job_try}" if plain.job.job_try > 1 else ""
    if start_ms - plain.job.score > 1200:
        extra += f" delayed={(start_ms - plain.job.score) / 1000:0.2f}s"
    waited = (start_ms - plain.enqueue_time_ms) / 1000
    shown = args_to_string(plain.args, plain.kwargs)
    log.info("%6.2fs → %s(%s)%s", waited, plain.ref, shown, extra)


def _after_failure(
    worker: Worker, plain: PlainJob, error: BaseException, start_ms: int
) -> tuple[bool, int | None]:
    """(finish the job for good, delay before it runs again), as arq decides them."""
    took = (timestamp_ms() - start_ms) / 1000
    if worker.retry_jobs and isinstance(error, Retry):
        worker.jobs_retried += 1
        delay = error.defer_score
        log.info("%6.2fs ↻ %s retrying job in %0.2fs", took, plain.ref, (delay or 0) / 1000)
        return False, delay + (timestamp_ms() - plain.job.score) if delay else None
    if worker.retry_jobs and isinstance(error, asyncio.CancelledError | RetryJob):
        worker.jobs_retried += 1
        log.info("%6.2fs ↻ %s cancelled, will be run again", took, plain.ref)
        return False, None
    worker.jobs_failed += 1
    log.exception(
        "%6.2fs ! %s failed, %s: %s", took, plain.ref, type(error).__name__, error, exc_info=error
    )
    return True, None


def _result_data(worker: Worker, plain: PlainJob, result: Any, start_ms: int) -> bytes | None:
    function = plain.function
    if not (_keep_result_forever(worker, function) or _keep_result_s(worker, function) > 0):
        return None
    return serialize_result(
        function.name,
        plain.args,
        plain.kwargs,
        plain.job.job_try,
        plain.enqueue_time_ms,
        not isinstance(result, BaseException),
        result,
        start_ms,
        timestamp_ms(),
        plain.ref,
        worker.queue_name,
        job_id=plain.job.job_id,
        serializer=worker.job_serializer,
    )


def _keep_result_s(worker: Worker, function: Function) -> float:
    return worker.keep_result_s if function.keep_result_s is None else function.keep_result_s


def _keep_result_forever(worker: Worker, function: Function) -> bool:
    if function.keep_result_forever is None:
        return worker.keep_result_forever
    return function.keep_result_forever
