"""Prometheus metrics. Labels never carry personal data: channel, job and antenna names only."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

TIPS_RECEIVED = Counter("tipline_tips_received_total", "New tips stored", ["channel"])
JOB_DURATION = Histogram("tipline_job_duration_seconds", "Job run time", ["job"])
TIPS_ROUTED = Counter("tipline_tips_routed_total", "Tips routed to an antenna", ["antenna", "by"])
# Each escalation is a missed acknowledgement deadline.
DEADLINE_MISSES = Counter(
    "tipline_deadline_misses_total", "Cases escalated for a missed acknowledgement", ["antenna"]
)
QUEUE_DEPTH = Gauge("tipline_queue_depth", "Outbox jobs not completed yet (read at each scrape)")
