"""Triage in batches: what a batch holds changes nothing, its decisions, links, cases and outbox
completions are those of its tips in batches of one, in order; one bad tip of a batch fails
only itself."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from sqlmodel import col

from channels.ports import IncomingMessage
from crypto import DecryptionError
from service.antennas.defaults import seed_antennas
from service.core.db import transaction
from service.decisions import store as decisions_module
from service.decisions.batch import TriageRequest
from service.decisions.jobs import triage_alone, triage_tip, triage_together
from service.models import (
    Case,
    DuplicateLink,
    Message,
    OutboxEntry,
    Tip,
    TipStatus,
    TriageDecision,
)
from service.models.types import utcnow
from service.runtime import Runtime
from service.startup import Process
from tests.support import databases
from tests.support.plans import capturing_selects, plans_of

Triage = Callable[[Runtime, Sequence[TriageRequest]], Awaitable[list[str]]]


async def one_by_one(runtime: Runtime, requests: Sequence[TriageRequest]) -> list[str]:
    """Each tip in a batch of one, as a failed batch's tips are run again."""
    return [await triage_alone(runtime, request) for request in requests]


_PLACES = ("Kalaban Coura", "Banconi", "Sabalibougou")

# Texts also queue their deletion at Twilio: only the triage entries are this module's business.
TRIAGE_ENTRY = col(OutboxEntry.job_name).in_(("triage_tip", "triage_bundled"))


async def send(process: Process, body: str, *, sender: str | None, channel: str = "sms") -> str:
    message = IncomingMessage(
        channel=channel,
        body=body,
        received_at=utcnow(),
        provider_id=f"SM{uuid.uuid4().hex}" if sender else None,
        sender=sender,
        place="Sabalibougou" if channel == "web" else None,
    )
    return (await process.intake.receive(message)).reference


async def pending_requests(runtime: Runtime) -> list[TriageRequest]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(col(OutboxEntry.job_args), col(OutboxEntry.job_key))
            .where(col(OutboxEntry.completed_at).is_(None))
            .where(TRIAGE_ENTRY)
            .order_by(col(OutboxEntry.id))
        )
        return [TriageRequest(tip_id=args[0], job_key=key) for args, key in rows]


async def scenario(process: Process, triage: Triage) -> tuple[list[str], dict[str, Any]]:
    """Tips that repeat one another, a held one, a web one, a closed one, a tip with two jobs
    and a tip decided before: their outcomes, then everything triage stored, by reference."""
    runtime = process.runtime
    a, b = "+22370100001", "+22370100002"
    same = "50 kg de cannabis à Sabalibougou demain à 10h"
    await send(process, same, sender=a)
    await one_by_one(runtime, await pending_requests(runtime))
    async with runtime.sessions() as session:
        job = (await session.scalars(select(OutboxEntry).where(TRIAGE_ENTRY))).one()
    already_done = TriageRequest(tip_id=job.job_args[0], job_key=job.job_key)
    await send(process, same + " !", sender=b)
    await send(process, same, sender=a, channel="whatsapp")
    await send(process, same + " !!", sender="+22370100003")
    closed = await send(process, "yamba bɛ feere Kalaban Coura bi su", sender="+22370100004")
    await send(process, "bonjour", sender="+22370100005")
    await send(process, "la police est au courant ?", sender="+22370100005")
    await send(process, "du cannabis est vendu ici", sender=None, channel="web")
    await send(process, "tramadol caaman bɛ mobili kɔnɔ Fana sisan", sender="+22370100006")
    async with transaction(runtime.sessions) as session:
        # An officer closed it; the console's closing needs staff, not what is tested here.
        await session.execute(
            update(Tip).where(col(Tip.reference) == closed).values(status=TipStatus.CLOSED)
        )
    outcomes = await triage(runtime, [already_done, *await pending_requests(runtime)])
    return outcomes, await everything_stored(runtime)


async def everything_stored(runtime: Runtime) -> dict[str, Any]:
    """What triage stored, each tip named by its place in the order the tips came in."""
    async with runtime.sessions() as session:
        tips = (await session.scalars(select(Tip).order_by(col(Tip.received_at)))).all()
        decisions = (await session.scalars(select(TriageDecision))).all()
        links = (await session.scalars(select(DuplicateLink))).all()
        cases = (await session.scalars(select(Case))).all()
        pending = await session.scalars(
            select(OutboxEntry).where(col(OutboxEntry.completed_at).is_(None), TRIAGE_ENTRY)
        )
        pending_jobs = len(pending.all())
        inbound = await decisions_module.inbound_messages_of(
            session=session, tip_ids=[tip.id for tip in tips]
        )
    n = {tip.id: position for position, tip in enumerate(tips)}
    # Message ids differ from run to run: a digest is compared with its tip's messages.
    digests = {tip_id: decisions_module.input_digest(found) for tip_id, found in inbound.items()}
    return {
        "statuses": [tip.status for tip in tips],
        "decisions": sorted(
            (
                n[d.tip_id],
                d.category,
                d.substances,
                d.priority,
                d.flags,
                d.antenna,
                d.place,
                d.rules,
                d.confident,
                d.rules_version,
                d.input_digest == digests[d.tip_id],
            )
            for d in decisions
        ),
        "links": sorted((n[link.tip_id], n[link.other_tip_id], link.kind) for link in links),
        "cases": sorted(
            (n[c.tip_id], c.antenna_code, c.status, c.routed_by, _deadline_after(c)) for c in cases
        ),
        "pending_jobs": pending_jobs,
    }


def _deadline_after(case: Case) -> timedelta | None:
    return None if case.ack_deadline is None else case.ack_deadline - case.created_at


async def test_a_batch_decides_as_one_tip_at_a_time_in_order(
    process: Process, runtime: Runtime, database_url: str
) -> None:
    alone, stored_alone = await scenario(process, one_by_one)
    await databases.empty_database(database_url)
    async with transaction(runtime.sessions) as session:
        await seed_antennas(session=session)

    together, stored_together = await scenario(process, triage_together)

    assert together == alone
    assert alone[0] == "unchanged"
    assert alone.count("unchanged") == 2
    assert "skipped" in alone
    assert {"routed", "held"} <= set(alone)
    assert stored_together == stored_alone
    # Repeats of a tip decided before the batch (tips decided earlier in the batch: the crowded
    # place below). Sent within minutes, they join its case: closed, merged into it.
    assert {(1, 0), (2, 0), (3, 0)} <= {link[:2] for link in stored_together["links"]}
    assert alone.count("joined") == 3
    assert stored_together["statuses"][1:4] == [TipStatus.CLOSED] * 3
    assert stored_together["pending_jobs"] == 0


async def test_a_batch_job_with_one_bad_tip_fails_only_that_tip(
    process: Process, runtime: Runtime
) -> None:
    # Stored together (group commit): one triage job carries the three tips (at three places:
    # the same report sent again would join the first one's case).
    await asyncio.gather(
        *(
            send(process, f"yamba bɛ feere {place} bi su", sender=f"+2237020000{n}")
            for n, place in enumerate(_PLACES)
        )
    )
    async with runtime.sessions() as session:
        [job] = (await session.scalars(select(OutboxEntry).where(TRIAGE_ENTRY))).all()
    assert len(job.job_args) == 3
    async with transaction(runtime.sessions) as session:
        # A text that cannot be opened (as with a lost key) makes the whole batch fail.
        await session.execute(
            update(Message)
            .where(col(Message.tip_id) == uuid.UUID(job.job_args[1]))
            .values(body_ciphertext=b"not a sealed blob")
        )

    with pytest.raises(DecryptionError):
        await triage_tip({"runtime": runtime, "job_id": job.job_key}, *job.job_args)

    # The others were decided; the job's entry stays for the relay, which runs the job again.
    stored = await everything_stored(runtime)
    assert [d[0] for d in stored["decisions"]] == [0, 2]
    assert stored["statuses"] == [TipStatus.ROUTED, TipStatus.RECEIVED, TipStatus.ROUTED]
    assert [r.job_key for r in await pending_requests(runtime)] == [job.job_key]


async def test_a_batch_job_completes_its_entry_with_its_decisions(
    process: Process, runtime: Runtime
) -> None:
    await asyncio.gather(
        *(
            send(process, f"chicha à {place}", sender=f"+2237021000{n}")
            for n, place in enumerate(_PLACES)
        )
    )
    async with runtime.sessions() as session:
        [job] = (await session.scalars(select(OutboxEntry).where(TRIAGE_ENTRY))).all()

    outcomes = await triage_tip({"runtime": runtime, "job_id": job.job_key}, *job.job_args)

    assert len(outcomes) == 3
    assert "unchanged" not in outcomes
    assert await pending_requests(runtime) == []
    again = await triage_tip({"runtime": runtime, "job_id": job.job_key}, *job.job_args)
    assert again == ["unchanged"] * 3


async def crowded_place(process: Process, triage: Triage, history: int) -> dict[str, Any]:
    """Five chicha tips at one place, then ``history`` yamba tips there, fifty-five decisions of
    one number's tip elsewhere, and a chicha tip re-decided with tramadol too; then thirty new
    chicha tips at the place, triaged by ``triage``. Each tip reads at most 200 rows, newest first:
    behind enough yamba rows and earlier tips of the batch, the old chicha tips are out of
    reach, and the re-decided one no longer matches."""
    runtime = process.runtime
    place = "à Sabalibougou"
    for n in range(5):
        await send(process, f"chicha {place} ({n})", sender=f"+2237030{n:04d}")
    for n in range(history):
        await send(process, f"sacs de yamba {place} ({n})", sender=f"+2237031{n:04d}")
    for n in range(55):  # one conversation decided again at each message: 55 decisions
        await send(process, f"yamba à Kayes ({n})", sender="+22370320000")
        await triage_together(runtime, await pending_requests(runtime))
    await send(process, f"chicha {place}", sender="+22370330000")
    await triage_together(runtime, await pending_requests(runtime))
    await send(process, "et aussi du tramadol", sender="+22370330000")
    await triage_together(runtime, await pending_requests(runtime))
    for n in range(30):
        await send(process, f"chicha {place} ({n}) !", sender=f"+2237034{n:04d}")
    await triage(runtime, await pending_requests(runtime))
    # A new conversation of that number: its 55 earlier decisions are all candidates.
    await send(process, "yamba à Kayes encore", sender="+22370320000", channel="whatsapp")
    await triage(runtime, await pending_requests(runtime))
    return await everything_stored(runtime)


@pytest.mark.parametrize("join_minutes", [0])  # the links alone: each tip routed, none joined
@pytest.mark.parametrize("history", [60, 180])
async def test_a_crowded_place_links_as_one_tip_at_a_time(
    process: Process, runtime: Runtime, database_url: str, history: int
) -> None:
    alone = await crowded_place(process, one_by_one, history)
    await databases.empty_database(database_url)
    async with transaction(runtime.sessions) as session:
        await seed_antennas(session=session)

    together = await crowded_place(process, triage_together, history)

    assert together["links"] == alone["links"]
    assert together == alone
    first_new = 7 + history
    linked = [
        {other for tip, other, _ in alone["links"] if tip == first_new + k} for k in range(30)
    ]
    assert linked == new_chicha_links(history)


@pytest.mark.parametrize("join_minutes", [0])
async def test_the_candidates_at_a_place_are_read_through_its_newest_decisions(
    process: Process, runtime: Runtime, database_url: str
) -> None:
    """On PostgreSQL the duplicate search reaches a place's decisions through the
    ``(place, created_at)`` index, newest first, never by reading the whole 30-day window (at
    two million tips that read grew with every tip of the window)."""
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("query plans are PostgreSQL's")
    with capturing_selects(runtime.engine, skip="\x00") as captured:
        await crowded_place(process, triage_together, 60)
    plans = await plans_of(database_url, [s for s in captured if "CROSS JOIN LATERAL" in s[0]])
    assert plans
    for _statement, plan in plans:
        assert "Seq Scan on triage_decisions" not in plan
        assert "ix_triage_decisions_place_created_at" in plan


def new_chicha_links(history: int) -> list[set[int]]:
    """What each of ``crowded_place``'s thirty new chicha tips links to, spelled out: the first 25
    chicha tips among the 200 newest rows at the place. Newest first, those are the new tips
    before it, the re-decided tip's two decisions, the yamba tips, then the five old chicha tips.
    Tips are numbered as ``everything_stored`` does."""
    first_new = 7 + history
    no_match = None  # the re-decided tip (now with tramadol too) and the yamba tips
    expected = []
    for k in range(30):
        newest_first: list[int | None] = [first_new + j for j in reversed(range(k))]
        newest_first += [no_match] * (2 + history) + [4, 3, 2, 1, 0]
        chicha = [tip for tip in newest_first[:200] if tip is not no_match]
        expected.append(set(chicha[:25]))
    return expected
