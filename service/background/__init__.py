"""Background-job machinery, knowing no job by name and importing no domain: the transactional
outbox and its relay, the job-queue backends (arq on Redis, in-process), job leases, and the
supervisor that restarts a worker which lost Redis. The worker is arq's own, used through its
public API only.
"""
