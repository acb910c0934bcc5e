"""Triage of tips in one transaction: the only way a tip is decided.

A triage job decides the tips intake stored together (``service.decisions.jobs``); one tip
alone, as when a failed batch is run again tip by tip, is a batch of one. What a batch holds
changes nothing: its outcomes, decisions, duplicate links (a tip decided earlier in the batch is
a candidate for a later one), cases and outbox completions are those of its tips in batches of
one, in its order. The cost is a dozen set-based statements per batch, whatever its size, and
plain rows instead of ORM objects.

A tip is decided as soon as it is stored. People split one account over several texts: a text
that follows the previous one within the bundling window (``sms_bundle_seconds``) is a further
part of the same message, and the whole is decided again. That decision replaces the first (the
first stays in the tip's decision history) unless an officer has already acted on the tip —
then the decision the officer works from is kept — and routing follows it while nobody has worked
the case: a confident decision routes (or moves the case), any other takes the case back from the
antenna for a duty officer. A later message, past the window, is decided again as before: a new
decision, and the routing officers may have made stands.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import operator
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Executable,
    and_,
    bindparam,
    delete,
    func,
    not_,
    or_,
    select,
    text,
    union,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from crypto import Keyring
from service.background.outbox import mark_all_completed
from service.core.audit import record_audits
from service.core.db import among, among_named, insert_rows, is_in, list_param, run_built
from service.core.metrics import TIPS_ROUTED
from service.decisions import joining
from service.decisions import store as decisions
from service.decisions.routing import may_route_automatically
from service.decisions.store import DecidedTip, SealedMessage
from service.models import (
    Antenna,
    Case,
    CaseEscalation,
    CaseStatus,
    Channel,
    ChiefAlert,
    DuplicateKind,
    DuplicateLink,
    InternalNote,
    SourceGrade,
    Tip,
    TipClaim,
    TipClosure,
    TipStatus,
    TriageCorrection,
    TriageDecision,
)
from service.models.types import UTCDateTime, utcnow
from service.settings import Settings
from triage import AntennaStatus, Decision, Ruleset, TipText, decide
from triage.duplicates import DuplicateCandidate, find_duplicates

# Set-based statements on the tables themselves: no ORM bookkeeping per row.
_DECISIONS = SQLModel.metadata.tables["triage_decisions"]
_LINKS = SQLModel.metadata.tables["duplicate_links"]
_CASES = SQLModel.metadata.tables["cases"]
# Reporters of these channels split one account over several texts.
_TEXTING = frozenset({Channel.SMS, Channel.WHATSAPP})


@dataclass(frozen=True)
class TriageRequest:
    """One ``triage_tip`` job: the tip, and the outbox entry to mark complete with it."""

    tip_id: str
    job_key: str | None


@dataclass(frozen=True)
class _LockedTip:
    id: uuid.UUID
    channel: str
    status: str
    reporter_id: uuid.UUID | None
    received_at: datetime
    place_hint_ciphertext: bytes | None


@dataclass
class _Decided:
    tip: _LockedTip
    decision: Decision
    text: str
    values: dict[str, Any]
    links: list[dict[str, Any]] = field(default_factory=list)
    # The earlier tip whose open case this one joins (``service.decisions.joining``).
    joins: uuid.UUID | None = None

    @property
    def as_candidate_row(self) -> DecidedTip:
        return DecidedTip(
            decision_id=self.values["id"],
            tip_id=self.tip.id,
            reporter_id=self.tip.reporter_id,
            received_at=self.tip.received_at,
            decided_at=self.values["created_at"],
            place=self.decision.place,
            substances=tuple(self.decision.substances),
        )


@dataclass(frozen=True)
class _CaseState:
    id: uuid.UUID
    antenna: str
    worked: bool  # acknowledged by its chief, or taken further


@dataclass
class _Batch:
    """What one batch read under its locks, and what it decided so far."""

    tips: dict[uuid.UUID, _LockedTip]
    messages: dict[uuid.UUID, list[SealedMessage]]
    # The batch's tips' decisions stored before this batch, and the inputs they were made for.
    earlier: list[DecidedTip]
    stored: set[tuple[uuid.UUID, str, str]]
    decided: list[_Decided] = field(default_factory=list)
    # Tips decided before whose newest text is a further part of the message (the bundling
    # window): those an officer acted on, and the cases of the others.
    further: set[uuid.UUID] = field(default_factory=set)
    # Voicemail tips decided before (on the call alone: nothing to read) whose newest message
    # is an operator's transcript: the first moment there is something to decide and route.
    transcribed: set[uuid.UUID] = field(default_factory=set)
    acted: set[uuid.UUID] = field(default_factory=set)
    cases: dict[uuid.UUID, _CaseState] = field(default_factory=dict)


async def triage_batch(
    *,
    session: AsyncSession,
    keyring: Keyring,
    ruleset: Ruleset,
    settings: Settings,
    requests: Sequence[TriageRequest],
    known_texts: decisions.KnownTexts | None = None,
) -> list[str]:
    """Each request's outcome, in order: skipped, unchanged, kept (a further part of a message
    an officer already acted on), decided, routed, joined (to the open case of a tip it sends
    again: ``service.decisions.joining``) or held. ``known_texts``: the texts the process's
    earlier batches opened."""
    tip_ids = [uuid.UUID(request.tip_id) for request in requests]
    batch = await _read_batch(session=session, tip_ids=tip_ids)
    window = timedelta(seconds=settings.sms_bundle_seconds)
    await _read_further_parts(session=session, batch=batch, window=window)
    statuses = await _antenna_statuses(session=session)
    outcomes = _decide_all(
        keyring=keyring, ruleset=ruleset, statuses=statuses, batch=batch, tip_ids=tip_ids
    )
    now = utcnow()
    texts = decisions.BatchTexts(keyring, known_texts)
    for decided in batch.decided:
        texts.know_decided(decided.tip.id, decided.values["id"], decided.text)
    await _find_joins(session=session, texts=texts, settings=settings, batch=batch)
    await _link_duplicates(session=session, texts=texts, batch=batch, now=now)
    await _store_decisions(session=session, batch=batch)
    routed = await _route_or_hold(session=session, settings=settings, batch=batch, now=now)
    audits = await joining.join_cases(session=session, joins=_joins(batch), now=now)
    await mark_all_completed(session=session, job_keys=[r.job_key for r in requests if r.job_key])
    await record_audits(session=session, records=audits)  # last: the chain's lock to the commit
    return [routed[outcome] if isinstance(outcome, uuid.UUID) else outcome for outcome in outcomes]


async def _read_batch(*, session: AsyncSession, tip_ids: list[uuid.UUID]) -> _Batch:
    tips = await _lock_tips(session=session, tip_ids=tip_ids)
    open_ids = [tip.id for tip in tips.values() if tip.status != TipStatus.CLOSED]
    messages = await decisions.inbound_messages_of(session=session, tip_ids=open_ids)
    earlier, stored = await _decisions_of(session=session, tip_ids=open_ids)
    return _Batch(tips=tips, messages=messages, earlier=earlier, stored=stored)


async def _read_further_parts(*, session: AsyncSession, batch: _Batch, window: timedelta) -> None:
    """The tips decided before whose newest text followed the previous one within the bundling
    window; for those, whether an officer acted on the tip, and their case."""
    decided_before = {row.tip_id for row in batch.earlier}
    batch.further = {
        tip_id
        for tip_id in decided_before
        if batch.tips[tip_id].channel in _TEXTING
        and _further_part(batch.messages.get(tip_id, []), window)
    }
    batch.transcribed = {
        tip_id for tip_id in decided_before if _newly_transcribed(batch.messages.get(tip_id, []))
    }
    followed = batch.further | batch.transcribed
    if not followed:
        return
    batch.acted = await _acted_on(session=session, tip_ids=followed)
    rows = await session.execute(
        select(
            col(Case.id),
            col(Case.tip_id),
            col(Case.antenna_code),
            col(Case.routed_by),
            col(Case.acknowledged_at),
            col(Case.status),
        ).where(among(session, col(Case.tip_id), followed))
    )
    for case_id, tip_id, antenna, routed_by, acknowledged_at, status in rows:
        if routed_by is not None:  # a duty officer routed it
            batch.acted.add(tip_id)
        worked = acknowledged_at is not None or status != CaseStatus.NEW
        batch.cases[tip_id] = _CaseState(id=case_id, antenna=antenna, worked=worked)


def _newly_transcribed(messages: Sequence[SealedMessage]) -> bool:
    return bool(messages) and messages[-1].transcript_of is not None


def _further_part(messages: Sequence[SealedMessage], window: timedelta) -> bool:
    return len(messages) >= 2 and messages[-1].created_at - messages[-2].created_at <= window


async def _acted_on(*, session: AsyncSession, tip_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """The tips a duty officer has claimed, corrected, annotated, graded or closed."""
    acted = union(
        *(
            select(col(table.tip_id)).where(among(session, col(table.tip_id), tip_ids))
            for table in (TipClaim, TriageCorrection, InternalNote, SourceGrade, TipClosure)
        )
    )
    return set((await session.execute(acted)).scalars())


async def _lock_tips(
    *, session: AsyncSession, tip_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, _LockedTip]:
    """The batch's tips, locked in id order so that two workers' batches cannot deadlock.

    FOR NO KEY UPDATE (PostgreSQL; SQLite has no row locks and relies on the unique decision
    key): it excludes another triage of the same tip but not a foreign key's check, so a link to
    a tip another batch holds does not wait for it.
    """
    rows = await run_built(session, _lock_statement, {"tip_ids": list(set(tip_ids))})
    return {row[0]: _LockedTip(*row) for row in rows}


@functools.cache
def _lock_statement(postgresql: bool) -> Executable:
    return (
        select(
            col(Tip.id),
            col(Tip.channel),
            col(Tip.status),
            col(Tip.reporter_id),
            col(Tip.received_at),
            col(Tip.place_hint_ciphertext),
        )
        .where(among_named("tip_ids", col(Tip.id), postgresql))
        .order_by(col(Tip.id))
        .with_for_update(key_share=True)
    )


async def _decisions_of(
    *, session: AsyncSession, tip_ids: list[uuid.UUID]
) -> tuple[list[DecidedTip], set[tuple[uuid.UUID, str, str]]]:
    if not tip_ids:
        return [], set()
    rows = (await run_built(session, _decisions_statement, {"tip_ids": tip_ids})).all()
    stored = {(row[1], row[-2], row[-1]) for row in rows}
    return [decisions.decided_tip(row[:-2]) for row in rows], stored


@functools.cache
def _decisions_statement(postgresql: bool) -> Executable:
    return (
        select(
            *decisions.DECIDED_COLUMNS,
            col(TriageDecision.rules_version),
            col(TriageDecision.input_digest),
        )
        .join(Tip, col(Tip.id) == col(TriageDecision.tip_id))
        .where(among_named("tip_ids", col(TriageDecision.tip_id), postgresql))
    )


def _decide_all(
    *,
    keyring: Keyring,
    ruleset: Ruleset,
    statuses: dict[str, AntennaStatus],
    batch: _Batch,
    tip_ids: list[uuid.UUID],
) -> list[str | uuid.UUID]:
    """Decide each tip once, in order. A tip decided here stands for its outcome until routed."""
    outcomes: list[str | uuid.UUID] = []
    for tip_id in tip_ids:
        tip = batch.tips.get(tip_id)
        if tip is None or tip.status == TipStatus.CLOSED:
            outcomes.append("skipped")
            continue
        messages = batch.messages.get(tip_id, [])
        digest = decisions.input_digest(messages)
        if (tip_id, ruleset.version, digest) in batch.stored:
            outcomes.append("unchanged")
            continue
        if tip_id in batch.further and tip_id in batch.acted:
            outcomes.append("kept")
            continue
        batch.decided.append(_decide_one(keyring, ruleset, tip, messages, digest, statuses))
        # A second job for the tip in this batch finds this decision, as in a batch of its own.
        batch.stored.add((tip_id, ruleset.version, digest))
        outcomes.append(tip_id)
    return outcomes


def _decide_one(
    keyring: Keyring,
    ruleset: Ruleset,
    tip: _LockedTip,
    messages: list[SealedMessage],
    digest: str,
    statuses: dict[str, AntennaStatus],
) -> _Decided:
    text = decisions.tip_text(keyring, messages)
    place = None
    if tip.place_hint_ciphertext is not None:
        place = decisions.open_place_hint(keyring, tip.id, tip.place_hint_ciphertext)
    decision = decide(
        TipText(
            text=text,
            received_at=messages[-1].created_at,
            channel=tip.channel,
            place=place,
        ),
        ruleset,
        antenna_status=statuses,
    )
    values = decisions.decision_values(
        keyring=keyring, tip_id=tip.id, decision=decision, digest=digest, decided_at=utcnow()
    )
    return _Decided(tip=tip, decision=decision, text=text, values=values)


async def _antenna_statuses(*, session: AsyncSession) -> dict[str, AntennaStatus]:
    rows = await run_built(session, _antennas_statement)
    return {code: AntennaStatus(operational=up, fallback=fallback) for code, up, fallback in rows}


@functools.cache
def _antennas_statement(_postgresql: bool) -> Executable:
    return select(col(Antenna.code), col(Antenna.operational), col(Antenna.fallback))


# Duplicates ------------------------------------------------------------------------------------


async def _find_joins(
    *, session: AsyncSession, texts: decisions.BatchTexts, settings: Settings, batch: _Batch
) -> None:
    """Which tips the rules route here send again a tip with an open case, and join it; decided
    before linking, as triaging tips one at a time would (a joined tip is closed, and no longer
    a candidate for the tips after it)."""
    routed = [
        joining.RoutedNow(
            tip_id=d.tip.id,
            received_at=d.tip.received_at,
            text=d.text,
            decision=d.decision,
            first_routing=d.tip.status == TipStatus.RECEIVED and d.tip.id not in batch.cases,
        )
        for d in batch.decided
        if _routing_follows(batch, d.tip) and may_route_automatically(d.decision)
    ]
    redecided = {d.tip.id for d in batch.decided if _routing_follows(batch, d.tip)}
    joins = await joining.cases_to_join(
        session=session,
        texts=texts,
        routed=routed,
        redecided=redecided,
        moment=timedelta(minutes=settings.duplicate_join_minutes),
    )
    for decided in batch.decided:
        decided.joins = joins.get(decided.tip.id)


def _joins(batch: _Batch) -> dict[uuid.UUID, uuid.UUID]:
    return {d.tip.id: d.joins for d in batch.decided if d.joins is not None}


async def _link_duplicates(
    *, session: AsyncSession, texts: decisions.BatchTexts, batch: _Batch, now: datetime
) -> None:
    """Link each decided tip, in order, to similar open tips of the last 30 days (officers
    decide what to merge), with a few queries for the whole batch."""
    if not batch.decided:
        return
    since = now - decisions.DUPLICATE_WINDOW
    rows = _CandidateRows(await _recent_decided(session=session, batch=batch, since=since))
    rows.add(d for d in batch.earlier if _open_in_window(batch.tips[d.tip_id], since))
    chosen: list[tuple[_Decided, list[DecidedTip]]] = []
    for decided in batch.decided:
        chosen.append((decided, _candidates_of(decided, rows)))
        if _open_in_window(decided.tip, since) and decided.joins is None:
            rows.add([decided.as_candidate_row])  # a candidate for the tips after it
    candidate_texts = await _candidate_texts(
        session=session, texts=texts, batch=batch, chosen=chosen
    )
    known = await _known_links(session=session, tip_ids=[d.tip.id for d in batch.decided])
    comparison = _Comparison(candidate_texts, texts.normalise)
    for decided, candidates in chosen:
        found = comparison.duplicates(decided, candidates)
        if decided.joins is not None and decided.joins not in {other for other, _ in found}:
            # Beyond the 200 rows the link search reads (a flood at one place): still shown.
            found.append((decided.joins, DuplicateKind.SUGGESTED))
        decided.links = [
            {"tip_id": decided.tip.id, "other_tip_id": other, "kind": kind, "created_at": now}
            for other, kind in found
            if (decided.tip.id, other) not in known
        ]


class _Comparison:
    """``find_duplicates`` for a batch: a tip is the candidate of many tips of the batch, so
    each candidate is built, and each text normalised, once."""

    def __init__(self, texts: dict[uuid.UUID, str], normalise: Callable[[str], str]) -> None:
        self._texts = texts
        self._candidates: dict[uuid.UUID, DuplicateCandidate] = {}
        self._normalise = normalise

    def duplicates(
        self, decided: _Decided, candidates: list[DecidedTip]
    ) -> list[tuple[uuid.UUID, DuplicateKind]]:
        found = find_duplicates(
            _as_new(decided), [self._candidate(c) for c in candidates], normalise=self._normalise
        )
        tip_ids = {str(c.tip_id): c.tip_id for c in candidates}
        return [(tip_ids[other], DuplicateKind(kind)) for other, kind in found]

    def _candidate(self, row: DecidedTip) -> DuplicateCandidate:
        if row.decision_id not in self._candidates:
            text = self._texts[row.tip_id]
            self._candidates[row.decision_id] = decisions.duplicate_candidate(row, text)
        return self._candidates[row.decision_id]


def _open_in_window(tip: _LockedTip, since: datetime) -> bool:
    return tip.status != TipStatus.CLOSED and tip.received_at >= since


class _CandidateRows:
    """Decisions that may be compared with, found by the reporter or by the place; each list
    kept oldest first, so that a tip's newest rows are read from the end without sorting."""

    def __init__(self, rows: Iterable[DecidedTip]) -> None:
        self._by_reporter: dict[uuid.UUID, list[DecidedTip]] = {}
        self._by_place: dict[str, list[DecidedTip]] = {}
        # Sorted once, then appended: inserting each in order would cost a search per row.
        self._file(sorted(rows, key=_decided_at), list.append)

    def add(self, rows: Iterable[DecidedTip]) -> None:
        self._file(rows, _insert)

    def _file(
        self, rows: Iterable[DecidedTip], put: Callable[[list[DecidedTip], DecidedTip], None]
    ) -> None:
        for row in rows:
            if row.reporter_id is not None:
                put(self._by_reporter.setdefault(row.reporter_id, []), row)
            if row.place is not None:
                put(self._by_place.setdefault(row.place, []), row)

    def newest_first(self, decided: _Decided) -> Iterator[DecidedTip]:
        """What the duplicate search reads for the tip (``decisions.pick_candidates`` stops at
        200): decisions of tips with its reporter or its place, the newest first."""
        reporter_id, place = decided.tip.reporter_id, decided.decision.place
        mine = self._by_reporter.get(reporter_id, []) if reporter_id is not None else []
        here = self._by_place.get(place, []) if place is not None else []
        newest = heapq.merge(reversed(mine), reversed(here), key=_decided_at, reverse=True)
        seen: set[uuid.UUID] = set()
        for row in newest:
            if row.decision_id not in seen:  # found by both the reporter and the place
                seen.add(row.decision_id)
                yield row


# A C-level key: it is called once per row read, thousands of times a batch.
_decided_at = operator.attrgetter("decided_at")


def _insert(rows: list[DecidedTip], row: DecidedTip) -> None:
    bisect.insort(rows, row, key=_decided_at)


def _candidates_of(decided: _Decided, rows: _CandidateRows) -> list[DecidedTip]:
    return decisions.pick_candidates(
        rows.newest_first(decided),
        tip_id=decided.tip.id,
        reporter_id=decided.tip.reporter_id,
        decision=decided.decision,
    )


@functools.cache
def _recent_decided_statement(postgresql: bool) -> Executable:
    """Decisions of open tips of the window outside the batch, with the batch's reporters or
    places: per reporter and per place the most recent ``CANDIDATE_ROWS``. Built once per
    dialect (the subquery is costly to build); the values are bound at each batch, as arrays on
    PostgreSQL (``service.core.db.among``)."""
    if postgresql:
        return _RECENT_DECIDED_ON_POSTGRESQL
    reporters = list_param("reporters", col(Tip.reporter_id), postgresql)
    places = list_param("places", col(TriageDecision.place), postgresql)
    batch = list_param("batch", col(Tip.id), postgresql)
    newest = col(TriageDecision.created_at).desc()
    ranked = (
        select(
            *decisions.DECIDED_COLUMNS,
            func.row_number()
            .over(partition_by=col(Tip.reporter_id), order_by=newest)
            .label("reporter_rank"),
            func.row_number()
            .over(partition_by=col(TriageDecision.place), order_by=newest)
            .label("place_rank"),
            func.count().over(partition_by=col(TriageDecision.place)).label("place_count"),
            func.row_number()
            .over(partition_by=(col(Tip.id), col(TriageDecision.place)), order_by=newest)
            .label("tip_place_rank"),
        )
        .join(Tip, col(Tip.id) == col(TriageDecision.tip_id))
        .where(col(Tip.status) != TipStatus.CLOSED)
        .where(col(Tip.received_at) >= bindparam("since"))
        .where(not_(is_in(col(Tip.id), batch, postgresql)))
        .where(
            or_(
                is_in(col(Tip.reporter_id), reporters, postgresql),
                is_in(col(TriageDecision.place), places, postgresql),
            )
        )
        .subquery()
    )
    limit = decisions.CANDIDATE_ROWS
    by_reporter = is_in(ranked.c.reporter_id, reporters, postgresql)
    by_place = is_in(ranked.c.place, places, postgresql)
    # The place and substances of a tip of the batch, as one text.
    what_and_where = decisions.stored_what_and_where(ranked.c.place, ranked.c.substances)
    wanted = list_param("what_and_where", ranked.c.substances, postgresql)
    could_match = and_(ranked.c.tip_place_rank == 1, is_in(what_and_where, wanted, postgresql))
    return select(*list(ranked.c)[: len(decisions.DECIDED_COLUMNS)]).where(
        or_(
            and_(by_reporter, ranked.c.reporter_rank <= limit),
            and_(
                by_place,
                ranked.c.place_rank <= limit,
                or_(ranked.c.place_count > bindparam("every_row_above"), could_match),
            ),
        )
    )


# The same rows as ``_recent_decided_statement`` builds, read on PostgreSQL through the
# ``(place, created_at)`` index: at each of the batch's places only the newest ``CANDIDATE_ROWS``
# (a backward index range that stops there), instead of ranking every decision of the 30-day
# window (15-30 ms a batch at 9,000 decisions, growing with the window; 5-8 ms this way, the
# same rows). A place's count is then at most ``CANDIDATE_ROWS``, which changes no comparison:
# ``every_row_above`` is below it. ``LIMIT`` is written out, not bound: with a bound limit
# PostgreSQL's generic plan for the prepared statement, chosen after five runs, took 80-120 ms.
_RECENT_DECIDED_ON_POSTGRESQL = (
    text(
        f"""
WITH placed AS (
    SELECT newest.*,
           count(*) OVER (PARTITION BY newest.place) AS place_count,
           row_number() OVER (
               PARTITION BY newest.tip_id, newest.place ORDER BY newest.created_at DESC
           ) AS tip_place_rank
    FROM unnest(CAST(:places AS varchar[])) AS wanted(place)
    CROSS JOIN LATERAL (
        SELECT d.id, d.tip_id, t.reporter_id, t.received_at, d.created_at, d.place,
               CAST(d.substances AS text) AS substances
        FROM triage_decisions d JOIN tips t ON t.id = d.tip_id
        WHERE d.place = wanted.place AND t.status <> :closed AND t.received_at >= :since
          AND NOT (t.id = ANY(CAST(:batch AS uuid[])))
        ORDER BY d.created_at DESC
        LIMIT {int(decisions.CANDIDATE_ROWS)}
    ) AS newest
), by_reporter AS (
    SELECT d.id, d.tip_id, t.reporter_id, t.received_at, d.created_at, d.place,
           CAST(d.substances AS text) AS substances,
           row_number() OVER (
               PARTITION BY t.reporter_id ORDER BY d.created_at DESC
           ) AS reporter_rank
    FROM tips t JOIN triage_decisions d ON d.tip_id = t.id
    WHERE t.reporter_id = ANY(CAST(:reporters AS uuid[])) AND t.status <> :closed
      AND t.received_at >= :since AND NOT (t.id = ANY(CAST(:batch AS uuid[])))
)
SELECT id, tip_id, reporter_id, received_at, created_at, place, substances
FROM by_reporter WHERE reporter_rank <= {int(decisions.CANDIDATE_ROWS)}
UNION
SELECT id, tip_id, reporter_id, received_at, created_at, place, substances
FROM placed
WHERE place_count > :every_row_above
   OR (tip_place_rank = 1
       AND (place || :separator || substances) = ANY(CAST(:what_and_where AS text[])))
"""
    )
    .bindparams(
        bindparam("closed", TipStatus.CLOSED.value),
        bindparam("separator", decisions.WHAT_AND_WHERE_SEPARATOR),
        bindparam("since", type_=UTCDateTime()),
    )
    .columns(received_at=UTCDateTime(), created_at=UTCDateTime())
)

# How many rows of its own reporter a batch's tip is assumed to have, when deciding which
# places can skip the rows that cannot match; a batch that finds more reads every row again.
_ASSUMED_REPORTER_ROWS = 50


async def _recent_decided(
    *, session: AsyncSession, batch: _Batch, since: datetime
) -> list[DecidedTip]:
    """The decisions outside the batch a tip of the batch can be compared with: its own newest
    200 (by its reporter or its place) can only come from these.

    A tip reads at most 200 rows, so where its place has few enough rows for the 200 never to be
    reached, a row at the place counts only if it could match: the newest decision of its tip
    there (an older one is passed over), with the substances of a tip of the batch. Elsewhere
    every row is read."""
    reporters = {d.tip.reporter_id for d in batch.decided if d.tip.reporter_id is not None}
    places = {d.decision.place for d in batch.decided if d.decision.place is not None}
    if not reporters and not places:
        return []
    params = {
        "reporters": list(reporters),
        "places": list(places),
        "since": since,
        "batch": list(batch.tips),
        "what_and_where": list({_what_and_where(d.decision) for d in batch.decided}),
        "every_row_above": _rows_never_cut_above(batch),
    }
    rows = await _read_decided(session, params)
    mine = Counter(row.reporter_id for row in rows if row.reporter_id in reporters)
    if max(mine.values(), default=0) > _ASSUMED_REPORTER_ROWS:
        rows = await _read_decided(session, params | {"every_row_above": -1})
    return rows


async def _read_decided(session: AsyncSession, params: dict[str, Any]) -> list[DecidedTip]:
    # On the connection, not the session: plain rows, no ORM objects to load.
    rows = await run_built(session, _recent_decided_statement, params)
    return [decisions.decided_tip(row) for row in rows]


def _what_and_where(decision: Decision) -> str:
    return decisions.what_and_where(decision.place, decision.substances)


def _rows_never_cut_above(batch: _Batch) -> int:
    """A place with at most this many rows never fills a tip's 200: the rest of its list is its
    reporter's rows and the batch's own decisions at its place or by its reporter."""
    own = [*batch.earlier, *(d.as_candidate_row for d in batch.decided)]
    at_place = Counter(row.place for row in own if row.place is not None)
    by_reporter = Counter(row.reporter_id for row in own if row.reporter_id is not None)
    in_batch = max(at_place.values(), default=0) + max(by_reporter.values(), default=0)
    return decisions.CANDIDATE_ROWS - _ASSUMED_REPORTER_ROWS - in_batch


async def _candidate_texts(
    *,
    session: AsyncSession,
    texts: decisions.BatchTexts,
    batch: _Batch,
    chosen: list[tuple[_Decided, list[DecidedTip]]],
) -> dict[uuid.UUID, str]:
    """Each candidate's text, decrypted once per batch (joining may have read it already); the
    batch's own tips are read from the messages the batch holds."""
    wanted = {c.tip_id: c.decision_id for _, candidates in chosen for c in candidates}
    decided = {d.tip.id for d in batch.decided}  # known since they were decided
    for tip_id in wanted.keys() & batch.tips.keys() - decided:
        texts.know(tip_id, decisions.tip_text(texts.keyring, batch.messages.get(tip_id, [])))
    found = await texts.of_decided(session, wanted)
    return {tip_id: found.get(tip_id, "") for tip_id in wanted}


async def _known_links(
    *, session: AsyncSession, tip_ids: list[uuid.UUID]
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    rows = await run_built(session, _known_links_statement, {"tip_ids": tip_ids})
    return {(tip_id, other) for tip_id, other in rows}


@functools.cache
def _known_links_statement(postgresql: bool) -> Executable:
    return select(col(DuplicateLink.tip_id), col(DuplicateLink.other_tip_id)).where(
        among_named("tip_ids", col(DuplicateLink.tip_id), postgresql)
    )


def _as_new(decided: _Decided) -> DuplicateCandidate:
    tip = decided.tip
    return DuplicateCandidate(
        tip_id=str(tip.id),
        text=decided.text,
        source=str(tip.reporter_id) if tip.reporter_id else None,
        substances=decided.decision.substances,
        place=decided.decision.place,
        received_at=tip.received_at,
    )


# Writing ---------------------------------------------------------------------------------------


async def _store_decisions(*, session: AsyncSession, batch: _Batch) -> None:
    if not batch.decided:
        return
    await insert_rows(session, _DECISIONS, [d.values for d in batch.decided])
    # A run of repeated texts links each tip to up to 25 others: thousands of rows a batch.
    await insert_rows(session, _LINKS, [link for d in batch.decided for link in d.links])


async def _route_or_hold(
    *, session: AsyncSession, settings: Settings, batch: _Batch, now: datetime
) -> dict[uuid.UUID, str]:
    """``service.decisions.routing.route_tip`` for the confident decisions of tips no human has
    handled yet; the others wait for a duty officer. Each decided tip's outcome."""
    outcomes: dict[uuid.UUID, str] = {}
    routes: dict[uuid.UUID, Decision] = {}
    for decided in batch.decided:
        tip_id, decision = decided.tip.id, decided.decision
        if not _routing_follows(batch, decided.tip):
            outcomes[tip_id] = "decided"
        elif decided.joins is not None:
            outcomes[tip_id] = "joined"
        elif may_route_automatically(decision):
            routes[tip_id] = decision
            outcomes[tip_id] = "routed"
        else:
            outcomes[tip_id] = "held"
    held = [tip_id for tip_id, outcome in outcomes.items() if outcome == "held"]
    await _withdraw_cases(
        session=session, case_ids=[c.id for t, c in batch.cases.items() if t in held]
    )
    await _set_status(session=session, tip_ids=held, status=TipStatus.AWAITING_OFFICER)
    await _open_cases(session=session, settings=settings, routes=routes, now=now)
    await _set_status(session=session, tip_ids=list(routes), status=TipStatus.ROUTED)
    return outcomes


def _routing_follows(batch: _Batch, tip: _LockedTip) -> bool:
    """A tip not routed yet, or a further part of its message while nobody worked it (an officer
    who acted on the tip kept its decision: it is not decided again)."""
    if tip.status == TipStatus.RECEIVED:
        return True
    case = batch.cases.get(tip.id)
    if tip.id in batch.transcribed:  # held until now for want of words, not by an officer
        return (
            tip.status in (TipStatus.AWAITING_OFFICER, TipStatus.ROUTED)
            and tip.id not in batch.acted
            and not (case is not None and case.worked)
        )
    return (
        tip.id in batch.further
        and tip.status in (TipStatus.AWAITING_OFFICER, TipStatus.ROUTED)
        and not (case is not None and case.worked)
    )


async def _withdraw_cases(*, session: AsyncSession, case_ids: list[uuid.UUID]) -> None:
    """Cases the rules routed that a further part of the message takes back for a duty officer.
    Their chiefs' alerts stay (an alert counts the antenna's open cases when it is sent)."""
    if not case_ids:
        return
    await session.execute(
        update(ChiefAlert)
        .where(among(session, col(ChiefAlert.case_id), case_ids))
        .values(case_id=None),
        execution_options={"synchronize_session": False},
    )
    await session.execute(
        delete(CaseEscalation).where(among(session, col(CaseEscalation.case_id), case_ids)),
        execution_options={"synchronize_session": False},
    )
    await session.execute(
        delete(Case).where(among(session, col(Case.id), case_ids)),
        execution_options={"synchronize_session": False},
    )


async def _open_cases(
    *, session: AsyncSession, settings: Settings, routes: dict[uuid.UUID, Decision], now: datetime
) -> None:
    if not routes:
        return
    existing = await run_built(session, _cases_of_statement, {"tip_ids": list(routes)})
    moved = {tip_id: (case_id, antenna) for case_id, tip_id, antenna in existing}
    new_cases = []
    for tip_id, decision in routes.items():
        minutes = settings.ack_deadline_minutes(decision.priority)
        deadline = now + timedelta(minutes=minutes) if minutes is not None else None
        if tip_id in moved:
            await _move_case(session, *moved[tip_id], decision.antenna, deadline)
        else:
            new_cases.append(_case_values(tip_id, decision.antenna, deadline, now))
        TIPS_ROUTED.labels(antenna=decision.antenna, by="rules").inc()
    await insert_rows(session, _CASES, new_cases)


@functools.cache
def _cases_of_statement(postgresql: bool) -> Executable:
    return select(col(Case.id), col(Case.tip_id), col(Case.antenna_code)).where(
        among_named("tip_ids", col(Case.tip_id), postgresql)
    )


def _case_values(
    tip_id: uuid.UUID, antenna: str, deadline: datetime | None, now: datetime
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "tip_id": tip_id,
        "antenna_code": antenna,
        "status": CaseStatus.NEW,
        "routed_by": None,
        "created_at": now,
        "ack_deadline": deadline,
        "acknowledged_at": None,
    }


async def _move_case(
    session: AsyncSession,
    case_id: uuid.UUID,
    antenna_was: str,
    antenna: str,
    deadline: datetime | None,
) -> None:
    """A tip with a case already (rare for a tip still received): as ``route_tip`` does."""
    values: dict[str, Any] = {"ack_deadline": deadline}
    if antenna != antenna_was:
        values |= {"antenna_code": antenna, "routed_by": None, "acknowledged_at": None}
    await session.execute(update(Case).where(col(Case.id) == case_id).values(values))


async def _set_status(*, session: AsyncSession, tip_ids: list[uuid.UUID], status: str) -> None:
    if tip_ids:
        await run_built(session, _status_statement, {"tip_ids": tip_ids, "new_status": status})


@functools.cache
def _status_statement(postgresql: bool) -> Executable:
    return (
        update(Tip)
        .where(among_named("tip_ids", col(Tip.id), postgresql))
        .values(status=bindparam("new_status"))
    )
