"""arq's own cost per job, with nothing to do: its worker against ``ClaimingWorker``.

    python bench/worker.py [--jobs 5000]

Queues ``--jobs`` no-op jobs in Redis (database 5 of the machine's Redis, flushed), drains them
with one burst worker of each kind (max_jobs 500, as ``tipline worker``) and prints jobs/s and
CPU per job. The difference is the Redis round trips and tasks per job that the claiming worker
saves (service/background/claiming_worker.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path
from typing import Any

from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker, func

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from service.background.claiming_worker import ClaimingWorker

REDIS = "redis://127.0.0.1:6379/5"


async def noop(ctx: dict[Any, Any], n: int) -> None:
    return None


async def queue_jobs(settings: RedisSettings, count: int) -> None:
    pool = await create_pool(settings)
    await pool.flushdb()
    for first in range(0, count, 500):
        numbers = range(first, min(first + 500, count))
        await asyncio.gather(*(pool.enqueue_job("noop", n, _job_id=f"noop:{n}") for n in numbers))
    await pool.aclose()


async def drain(kind: type[Worker], count: int) -> None:
    settings = RedisSettings.from_dsn(REDIS)
    await queue_jobs(settings, count)
    worker = kind(
        functions=[func(noop, name="noop")],
        redis_settings=settings,
        burst=True,
        poll_delay=0.05,
        max_jobs=500,
        handle_signals=False,
        keep_result=0,
    )
    started, cpu = time.perf_counter(), time.process_time()
    await worker.main()
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    await worker.close()
    print(
        f"{kind.__name__:>14}: {worker.jobs_complete} jobs, {worker.jobs_complete / took:,.0f} "
        f"jobs/s, {cpu / count * 1e6:.0f} µs of CPU per job"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=5000)
    count = parser.parse_args().jobs
    logging.getLogger("arq").setLevel(logging.WARNING)
    asyncio.run(drain(Worker, count))
    asyncio.run(drain(ClaimingWorker, count))


if __name__ == "__main__":
    main()
