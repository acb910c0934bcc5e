"""``triage_tip``: decide the tips intake stored together, store the decisions, route the
confident ones. Idempotent per input.

A job carries the tips of one stored batch (intake's group commit; a lone tip is a batch of
one). They are decided in one transaction (``service.decisions.batch``, the only way a tip is
decided), which also marks the job's outbox entry complete. A batch that fails is run again one
tip per transaction, so that one bad tip fails only itself: the others are decided, and the job
fails with the bad tip's error (its entry stays for the relay, which runs the job again; the
tips decided meanwhile are then unchanged).

A tip is decided as soon as it is stored; a further SMS part re-runs its triage
(``service.decisions.batch``).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError

from service.background.outbox import complete_job
from service.core.db import transaction
from service.core.job_names import JobName
from service.core.metrics import JOB_DURATION
from service.core.outage import database_unreachable
from service.decisions.batch import TriageRequest, triage_batch
from service.decisions.store import KnownTexts
from service.runtime import Runtime, runtime_of

log = structlog.get_logger(__name__)

# Per process (the runtime): the texts its batches opened, for the batches after them.
_KNOWN_TEXTS: weakref.WeakKeyDictionary[Runtime, KnownTexts] = weakref.WeakKeyDictionary()


async def triage_tip(ctx: dict[str, Any], *tip_ids: str) -> list[str]:
    """Each tip's outcome, in order: skipped, unchanged, kept, decided, routed or held."""
    runtime = runtime_of(ctx)
    job_key = ctx.get("job_id")
    with JOB_DURATION.labels(job=JobName.TRIAGE_TIP).time():
        requests = [TriageRequest(tip_id, job_key) for tip_id in tip_ids]
        try:
            if len(requests) == 1:
                outcomes = [await triage_alone(runtime, requests[0])]
            else:
                outcomes = await triage_together(runtime, requests)
        except Exception as error:  # run again tip by tip; a fatal error goes to arq's retry
            if database_unreachable(error) or len(requests) == 1:
                raise
            log.warning("batch_failed_one_by_one", error=type(error).__name__, size=len(tip_ids))
            outcomes = await _triage_one_by_one(runtime, tip_ids)
            await complete_job(runtime.sessions, job_key)
    log.debug("tip_triaged", outcomes=outcomes)  # a line per job; the metrics count the tips
    return outcomes


async def _triage_one_by_one(runtime: Runtime, tip_ids: Sequence[str]) -> list[str]:
    """Each tip alone; the first tip's error that is not the database's is raised once every
    other tip had its turn."""
    outcomes: list[str] = []
    failed: Exception | None = None
    for tip_id in tip_ids:
        try:
            outcomes.append(await triage_alone(runtime, TriageRequest(tip_id, None)))
        except Exception as error:  # only this tip's: the others are still decided
            if database_unreachable(error):
                raise
            log.warning("tip_triage_failed", tip_id=tip_id, error=type(error).__name__)
            failed = failed or error
    if failed is not None:
        raise failed
    return outcomes


async def triage_together(runtime: Runtime, requests: Sequence[TriageRequest]) -> list[str]:
    """Several tips in one transaction, with their outbox entries."""
    async with transaction(runtime.sessions) as session:
        return await triage_batch(
            session=session,
            keyring=runtime.keyring,
            ruleset=runtime.rules.current(),
            settings=runtime.settings,
            requests=requests,
            known_texts=_known_texts(runtime),
        )


def _known_texts(runtime: Runtime) -> KnownTexts:
    """The process's ``KnownTexts``, made at its first batch."""
    known = _KNOWN_TEXTS.get(runtime)
    if known is None:
        known = _KNOWN_TEXTS[runtime] = KnownTexts()
    return known


async def triage_alone(runtime: Runtime, request: TriageRequest) -> str:
    """One tip as a batch of one, in its own transaction, with its outbox entry."""
    try:
        [outcome] = await triage_together(runtime, [request])
    except IntegrityError:
        # Two jobs for one tip raced (SQLite has no row locks); the loser finds the
        # winner's decision on a second pass and changes nothing.
        [outcome] = await triage_together(runtime, [request])
    return outcome


async def triage_bundled(ctx: dict[str, Any], tip_id: str, message_id: str) -> list[str]:
    """A job queued before tips were decided at once (it waited for the SMS bundling window):
    the tip is decided now; ``message_id`` is no longer needed."""
    return await triage_tip(ctx, tip_id)
