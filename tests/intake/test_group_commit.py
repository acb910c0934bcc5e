"""Group commit: webhooks arriving together go through intake's one storing path in one
transaction, with the outcome of storing them one by one (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Sequence

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from service.core.group_commit import GroupCommit
from service.core.outage import DatabaseHeldOff, OutageHold, database_unreachable
from service.models import Message, OutboxEntry, Reporter, Tip
from service.settings import Settings
from tests.support.inspect import count_rows, fetch_all
from tests.support.twilio import signature, sms_form

PATH = "/channels/sms/twilio"


async def post(client: httpx.AsyncClient, form: dict[str, str]) -> httpx.Response:
    return await client.post(PATH, data=form, headers={"X-Twilio-Signature": signature(PATH, form)})


def events(logs: io.StringIO, start: int) -> list[str]:
    return [json.loads(line)["event"] for line in logs.getvalue()[start:].splitlines()]


async def test_a_burst_is_stored_in_batches_with_one_tip_per_conversation(
    client: httpx.AsyncClient, settings: Settings, captured_logs: io.StringIO
) -> None:
    # 40 numbers; every fourth number writes twice, and every fifth message is retried at once.
    forms = [
        sms_form(sender=f"+2237{n:07d}", body=f"yamba vendu à Kati, lot {n}") for n in range(40)
    ]
    forms += [sms_form(sender=f"+2237{n:07d}", body=f"suite du lot {n}") for n in range(0, 40, 4)]
    deliveries = forms + forms[::5]
    start = captured_logs.tell()

    answers = await asyncio.gather(*(post(client, form) for form in deliveries))

    assert {answer.status_code for answer in answers} == {200}
    logged = events(captured_logs, start)
    assert "group_commit_failed" not in logged
    assert "intake_race_retried" not in logged
    by_sid: dict[str, str] = {}
    for form, answer in zip(deliveries, answers, strict=True):
        assert by_sid.setdefault(form["MessageSid"], answer.text) == answer.text
    url = settings.resolved_database_url
    assert await count_rows(url, "reporters") == 40
    assert await count_rows(url, "tips") == 40
    assert await count_rows(url, "messages") == 50
    # Each stored batch one triage of its tips and one deletion at Twilio of its texts, each
    # tip and each text once.
    entries = await fetch_all(url, select(OutboxEntry))
    erased = [entry.job_args for entry in entries if entry.job_name == "erase_messages"]
    messages = await fetch_all(url, select(Message))
    assert sorted(m for ids in erased for m in ids) == sorted(str(m.id) for m in messages)
    triage = [entry.job_args for entry in entries if entry.job_name == "triage_tip"]
    assert len(entries) == len(erased) + len(triage)
    assert len(erased) == len(triage), "one of each per stored batch"
    assert len(triage) < 50, "messages stored together are triaged together"
    assert all(len(set(tips)) == len(tips) for tips in triage)
    assert {tip for tips in triage for tip in tips} == {
        str(tip.id) for tip in await fetch_all(url, select(Tip))
    }
    tips = {tip.reporter_id for tip in await fetch_all(url, select(Tip))}
    assert tips == {reporter.id for reporter in await fetch_all(url, select(Reporter))}
    reference_of = {form["From"]: by_sid[form["MessageSid"]] for form in forms[:40]}
    for form in forms[40:]:
        # The second text joined the first one's tip: same reference in the answer.
        assert reference_of[form["From"]].split("Référence ")[1][:13] in by_sid[form["MessageSid"]]


async def test_a_known_number_joins_its_open_tip_through_a_batch(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    first = sms_form(sender="+22370000001", body="chanvre caché au garage de Kalaban Coura")
    answer = await post(client, first)
    follow_ups = [
        sms_form(sender="+22370000001", body=f"précision {n}: plaque AB {n} MD") for n in range(5)
    ]
    others = [sms_form(sender=f"+2237100000{n}", body=f"tramadol à Fana {n}") for n in range(5)]

    answers = await asyncio.gather(*(post(client, form) for form in follow_ups + others))

    reference = answer.text.split("Référence ")[1][:13]
    assert all(reference in later.text for later in answers[:5])
    assert not any(reference in later.text for later in answers[5:])
    url = settings.resolved_database_url
    [tip] = await fetch_all(url, select(Tip).where(col(Tip.reference) == reference))
    messages = await fetch_all(url, select(Message).where(col(Message.tip_id) == tip.id))
    assert len(messages) == 6
    assert tip.last_message_at == max(message.created_at for message in messages)
    # The batches that stored its messages each queued its triage.
    triage = [
        entry.job_args
        for entry in await fetch_all(url, select(OutboxEntry))
        if entry.job_name == "triage_tip"
    ]
    assert sum(str(tip.id) in tips for tips in triage) >= 2


async def test_a_failed_batch_leaves_each_caller_to_store_alone() -> None:
    written: list[list[int]] = []

    async def write(batch: list[int]) -> list[str]:
        written.append(list(batch))
        if 3 in batch:
            raise RuntimeError("a bad item sinks the batch")
        return [f"stored {item}" for item in batch]

    group: GroupCommit[int, str] = GroupCommit(write, max_batch=4)  # type: ignore[arg-type]

    results = await asyncio.gather(*(group.submit(item) for item in range(10)))

    # Submitted together, written together, four at most at a time; only the failed batch's
    # callers are told to store alone.
    assert written == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert results == [None] * 4 + [f"stored {n}" for n in range(4, 10)]


async def test_a_failure_every_item_shares_fails_each_caller_at_once_without_a_second_try() -> None:
    writes: list[list[int]] = []

    async def unreachable(items: Sequence[int]) -> list[int]:
        writes.append(list(items))
        await asyncio.sleep(0.05)  # the next submissions queue behind this batch
        raise TimeoutError("the database did not answer")

    group: GroupCommit[int, int] = GroupCommit(
        unreachable, shared=lambda error: isinstance(error, TimeoutError)
    )

    outcomes = await asyncio.gather(*(group.submit(n) for n in range(5)), return_exceptions=True)

    assert all(isinstance(outcome, TimeoutError) for outcome in outcomes)
    assert sorted(n for batch in writes for n in batch) == list(range(5))


def test_after_a_timeout_the_hold_answers_at_once_and_a_refusal_holds_nothing() -> None:
    hold = OutageHold(60)
    hold.note(ConnectionRefusedError())
    hold.check()  # a refusal costs no wait: the next try asks the database
    hold.note(TimeoutError())
    with pytest.raises(DatabaseHeldOff):
        hold.check()
    assert database_unreachable(DatabaseHeldOff())
    hold.end()
    hold.check()


class _Recorder:
    """A ``write`` that records its batches and takes a moment, as a transaction does."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []

    async def __call__(self, batch: Sequence[int]) -> list[int]:
        self.batches.append(list(batch))
        await asyncio.sleep(0.001)
        return list(batch)


async def _came_together(group: GroupCommit[int, int], *items: int) -> None:
    """Submitted at once: written as one batch, which tells the writer lingering pays."""
    await asyncio.gather(*(group.submit(item) for item in items))


async def test_a_quiet_line_writes_at_once_even_with_a_linger() -> None:
    write = _Recorder()
    group: GroupCommit[int, int] = GroupCommit(write, linger_seconds=60, busy_seconds=0.0)
    await _came_together(group, 1, 2)

    # A linger of a minute would time the test out if a lone item waited for it.
    assert await asyncio.wait_for(group.submit(3), timeout=10) == 3
    assert await asyncio.wait_for(group.submit(4), timeout=10) == 4
    assert write.batches == [[1, 2], [3], [4]]


async def test_a_lone_caller_sending_one_after_another_waits_at_most_once() -> None:
    write = _Recorder()
    group: GroupCommit[int, int] = GroupCommit(write, linger_seconds=0.5, gather=10)
    await _came_together(group, 0, 1)
    started = asyncio.get_running_loop().time()

    for item in range(2, 12):
        assert await group.submit(item) == item

    # One linger found nobody; the nine requests after it were written at once.
    assert write.batches == [[0, 1], *([n] for n in range(2, 12))]
    assert asyncio.get_running_loop().time() - started < 10 * 0.5


async def test_a_busy_line_waits_a_moment_and_stores_what_follows_together() -> None:
    write = _Recorder()
    group: GroupCommit[int, int] = GroupCommit(write, linger_seconds=60, gather=3)
    await _came_together(group, 0, 0)

    # Moments later, one at a time: the writer waits for the third, not the minute.
    first = asyncio.ensure_future(group.submit(1))
    await asyncio.sleep(0.01)
    second = asyncio.ensure_future(group.submit(2))
    await asyncio.sleep(0.01)
    third = asyncio.ensure_future(group.submit(3))

    assert list(await asyncio.wait_for(asyncio.gather(first, second, third), 10)) == [1, 2, 3]
    assert write.batches == [[0, 0], [1, 2, 3]]


async def test_a_busy_line_writes_what_it_gathered_when_the_linger_ends() -> None:
    write = _Recorder()
    group: GroupCommit[int, int] = GroupCommit(write, linger_seconds=0.5, gather=10)
    await _came_together(group, 0, 0)

    first = asyncio.ensure_future(group.submit(1))
    await asyncio.sleep(0.01)
    second = asyncio.ensure_future(group.submit(2))

    assert list(await asyncio.wait_for(asyncio.gather(first, second), 10)) == [1, 2]
    assert write.batches == [[0, 0], [1, 2]]


async def test_items_waiting_when_the_writer_is_cancelled_are_stored_alone() -> None:
    write = _Recorder()
    group: GroupCommit[int, int] = GroupCommit(write, linger_seconds=60, gather=10)
    await _came_together(group, 0, 0)
    waiting = asyncio.ensure_future(group.submit(1))
    await asyncio.sleep(0.01)  # the writer lingers

    for task in asyncio.all_tasks():
        if task.get_name() == "group-commit":
            task.cancel()

    assert await asyncio.wait_for(waiting, timeout=10) is None  # the caller stores it alone
