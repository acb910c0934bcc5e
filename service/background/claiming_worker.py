"""arq's worker with fewer Redis round trips per job: one to claim and read a poll's jobs, one to
finish the jobs that end together.

arq spends six round trips on each job: WATCH / EXISTS / ZSCORE / MULTI-EXEC to claim it, one
pipeline to read it and count the try, one to finish it. Once triage runs in batches that was
the largest part of a worker's time (bench/README.md). Here one Lua script claims every job id of
a poll — only if it is still queued, due, and not in progress anywhere — and reads each claimed
job and counts its try in the same call; the jobs that finish in the same turn of the event loop
are finished in one MULTI/EXEC (``service.background.job_finishing``).

A claimed job that is plain — readable, a known function that is not a cron job, tries left, no
hooks or aborts configured — runs in ``service.background.fetched_job``. Anything else goes to
arq's own ``run_job``, after the try counted here is taken back, so arq sees exactly what it
would have.

It relies on arq's worker internals as of arq 0.28, the version pyproject.toml pins; the queue and
fault tests run every job through it.
"""

from __future__ import annotations

from typing import Any

from arq.constants import in_progress_key_prefix, job_key_prefix, retry_key_prefix
from arq.utils import timestamp_ms
from arq.worker import Worker
from redis.commands.core import AsyncScript

from service.background.fetched_job import FetchedJob, plain_job, run_fetched
from service.background.job_finishing import Finish, FinishBatcher

# KEYS: the queue; ARGV: now (ms), the in-progress lease (ms), how many jobs to claim at most,
# then the job ids polled. Keys are made from arq's prefixes here rather than passed: a poll reads
# up to five times max_jobs ids, most of them already running when the queue is long. Returns,
# per claimed job: its id, its score, its serialized definition (false when expired) and its try
# number, counted as arq's run_job does.
_CLAIM = f"""
local now, lease, wanted = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local claimed = {{}}
for i = 4, #ARGV do
  if #claimed >= 4 * wanted then break end
  local id = ARGV[i]
  local in_progress = '{in_progress_key_prefix}' .. id
  local score = redis.call('zscore', KEYS[1], id)
  if score and tonumber(score) <= now and redis.call('exists', in_progress) == 0 then
    redis.call('psetex', in_progress, lease, '1')
    local retry = '{retry_key_prefix}' .. id
    local try = redis.call('incr', retry)
    redis.call('expire', retry, 88400)
    table.insert(claimed, id)
    table.insert(claimed, score)
    table.insert(claimed, redis.call('get', '{job_key_prefix}' .. id))
    table.insert(claimed, try)
  end
end
return claimed
"""


class ClaimingWorker(Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._finishing = FinishBatcher(self)
        self._claim: AsyncScript | None = None
        # Aborts and hooks need arq's own run_job for every job.
        self._plain_path = not (
            self.allow_abort_jobs or self.on_job_start or self.on_job_end or self.after_job_end
        )

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        free = self.max_jobs - self.job_counter
        if free <= 0 or not job_ids:
            return
        if self._claim is None:  # the pool exists once the worker runs
            self._claim = self.pool.register_script(_CLAIM)
        claimed: list[Any] = await self._claim(
            keys=[self.queue_name],
            args=[timestamp_ms(), int(self.in_progress_timeout_s * 1000), free, *job_ids],
        )
        for i in range(0, len(claimed), 4):
            job_id, score, raw, job_try = claimed[i : i + 4]
            await self._start(job_id.decode(), int(float(score)), raw, int(job_try))

    async def finish_job(
        self,
        job_id: str,
        finish: bool,
        result_data: bytes | None,
        result_timeout_s: float | None,
        keep_result_forever: bool,
        incr_score: int | None,
        keep_in_progress: float | None,
    ) -> None:
        await self._finishing.finish(
            Finish(
                job_id,
                finish,
                result_data,
                result_timeout_s,
                keep_result_forever,
                incr_score,
                keep_in_progress,
            )
        )

    async def _start(self, job_id: str, score: int, raw: bytes | None, job_try: int) -> None:
        """What arq does once it holds a job: count it, then run it in a task of its own."""
        await self.sem.acquire()
        self.job_counter += 1
        task = self.loop.create_task(self._run(FetchedJob(job_id, score, raw, job_try)))
        task.add_done_callback(lambda _: self._release_sem_dec_counter_on_complete())
        self.tasks[job_id] = task

    async def _run(self, job: FetchedJob) -> None:
        plain = plain_job(self, job) if self._plain_path else None
        if plain is None:
            await self.pool.decr(retry_key_prefix + job.job_id)  # arq's run_job counts it again
            await self.run_job(job.job_id, job.score)
            return
        await run_fetched(self, plain)
