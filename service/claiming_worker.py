"""arq's worker, claiming the jobs of one poll in a single Redis round trip.

arq claims each job it starts with its own WATCH / EXISTS / ZSCORE / MULTI-EXEC exchange: four
round trips per job, the largest part of a worker's time once triage runs in batches
(bench/README.md). ``ClaimingWorker.start_jobs`` does the same checks for every job id of the
poll in one Lua script — a job is claimed only if it is still queued, due, and not in progress
anywhere — and then runs the claimed jobs exactly as arq does.

It relies on arq's ``start_jobs`` contract (claim, count, then ``run_job``) as of arq 0.28, the
version pyproject.toml pins; the queue and fault tests run every job through it.
"""

from __future__ import annotations

from arq.constants import in_progress_key_prefix
from arq.utils import timestamp_ms
from arq.worker import Worker

# KEYS: the queue, then each job's in-progress key; ARGV: now (ms), the in-progress lease (ms),
# then each job id. Returns the claimed ids, each followed by its score.
_CLAIM = """
local now, lease = tonumber(ARGV[1]), ARGV[2]
local claimed = {}
for i = 3, #ARGV do
  local score = redis.call('zscore', KEYS[1], ARGV[i])
  if score and tonumber(score) <= now and redis.call('exists', KEYS[i - 1]) == 0 then
    redis.call('psetex', KEYS[i - 1], lease, '1')
    table.insert(claimed, ARGV[i])
    table.insert(claimed, score)
  end
end
return claimed
"""


class ClaimingWorker(Worker):
    async def start_jobs(self, job_ids: list[bytes]) -> None:
        free = self.max_jobs - self.job_counter
        wanted = [job_id.decode() for job_id in job_ids[: max(free, 0)]]
        if not wanted:
            return
        claimed: list[bytes] = await self.pool.eval(  # type: ignore[misc]
            _CLAIM,
            1 + len(wanted),
            self.queue_name,
            *(in_progress_key_prefix + job_id for job_id in wanted),
            str(timestamp_ms()),
            str(int(self.in_progress_timeout_s * 1000)),
            *wanted,
        )
        for job_id, score in zip(claimed[::2], claimed[1::2], strict=True):
            await self._run_claimed(job_id.decode(), int(float(score)))

    async def _run_claimed(self, job_id: str, score: int) -> None:
        """What arq does once it holds a job: count it, then run it in a task of its own."""
        await self.sem.acquire()
        self.job_counter += 1
        task = self.loop.create_task(self.run_job(job_id, score))
        task.add_done_callback(lambda _: self._release_sem_dec_counter_on_complete())
        self.tasks[job_id] = task
