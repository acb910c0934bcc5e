"""Intake's one storing path for every kind of message, several at once or one alone: web reports
and follow-ups, operator entries, provider files and their retries, spooled references, index-key
rotation and unique-constraint races (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from channels.errors import NotFound
from channels.ports import IncomingAttachment, IncomingMessage, IntakeReceipt
from crypto import (
    Purpose,
    blind_index,
    hash_receipt_code,
    load_keyring,
    new_pseudonym,
    new_receipt_code,
    new_reference,
    normalise_phone,
    open_sealed,
    open_text,
    save_keyring,
    verify_receipt_code,
)
from service.core.db import transaction
from service.core.fresh_codes import unused_codes
from service.intake import batch
from service.intake.batch import StoredBatch, StoredMessage, Submission, store_batch
from service.models import (
    Attachment,
    AttachmentStatus,
    Message,
    OperatorEntry,
    OutboxEntry,
    Reporter,
    Role,
    StaffUser,
    Tip,
)
from service.runtime import Runtime
from service.settings import Settings
from tests.support.app import running_app
from tests.support.inspect import fetch_all
from tests.support.provider_ids import by_provider_id

WINDOW = timedelta(days=30)
PHOTO = b"\xff\xd8\xff\xe0 une photo sans ses metadonnees"


def text(body: str, **fields: object) -> IncomingMessage:
    values: dict[str, object] = {"channel": "sms", "body": body, "received_at": datetime.now(UTC)}
    return IncomingMessage(**(values | fields))  # type: ignore[arg-type]


def recording(sid: str) -> IncomingAttachment:
    return IncomingAttachment(
        source="twilio_recording", content_type="audio/mpeg", provider_sid=sid
    )


def runtime_of(app: FastAPI) -> Runtime:
    runtime: Runtime = app.state.runtime
    return runtime


async def store_together(runtime: Runtime, *submissions: Submission) -> StoredBatch:
    async with transaction(runtime.sessions) as session:
        return await store_batch(
            session=session, keyring=runtime.keyring, submissions=submissions, window=WINDOW
        )


async def store(runtime: Runtime, *submissions: Submission) -> list[StoredMessage]:
    return (await store_together(runtime, *submissions)).messages


async def operator(runtime: Runtime) -> uuid.UUID:
    staff_id = uuid.uuid4()
    async with transaction(runtime.sessions) as session:
        session.add(
            StaffUser(id=staff_id, username="operateur", role=Role.OPERATOR, password_hash="x")
        )
    return staff_id


def events(logs: io.StringIO, start: int) -> list[str]:
    return [json.loads(line)["event"] for line in logs.getvalue()[start:].splitlines()]


async def test_every_kind_of_message_is_stored_in_one_batch(
    app: FastAPI, settings: Settings
) -> None:
    runtime = runtime_of(app)
    staff_id = await operator(runtime)
    [earlier] = await store(runtime, Submission(text("yamba à Kati", channel="web")))
    code = new_receipt_code()
    report = text(
        "comprimés vendus devant le lycée",
        channel="web",
        provider_id="web:report",
        place="station Total, Faladié",
        receipt_code=code,
        attachments=(
            IncomingAttachment(source="web_upload", content_type="image/jpeg", content=PHOTO),
        ),
    )
    follow_up = text(
        "une moto rouge",
        channel="web",
        provider_id="web:answer",
        follow_up_of=earlier.receipt.reference,
    )
    entry = text("dépôt de chanvre à Niono", channel="hotline", place="Niono", entered_by=staff_id)
    mms = text(
        "regardez",
        channel="whatsapp",
        provider_id="SM-mms",
        sender="+22370000001",
        attachments=tuple(
            IncomingAttachment(source="twilio_media", content_type="image/png", provider_sid=sid)
            for sid in ("ME-1", "ME-2")
        ),
    )
    call = text("", channel="hotline", provider_id="CA-call", attachments=(recording("RE-1"),))

    batch = await store_together(
        runtime,
        Submission(report, receipt_code_hash=hash_receipt_code(code)),
        Submission(follow_up),
        Submission(entry),
        Submission(mms),
        Submission(call),
    )
    stored = batch.messages

    receipts = [one.receipt for one in stored]
    assert receipts[0].receipt_code == code
    assert receipts[1] == IntakeReceipt(
        reference=earlier.receipt.reference, new_tip=False, replayed=False
    )
    assert [receipt.new_tip for receipt in receipts] == [True, False, True, True, True]
    assert len({receipt.reference for receipt in receipts}) == 5
    assert not any(receipt.receipt_code for receipt in receipts[1:])
    url = settings.resolved_database_url
    tips = {tip.reference: tip for tip in await fetch_all(url, select(Tip))}
    web = tips[receipts[0].reference]
    assert web.receipt_code_hash is not None
    assert verify_receipt_code(web.receipt_code_hash, code)
    assert web.place_hint_ciphertext is not None
    place = open_text(
        runtime.keyring, Purpose.CONTENT, web.place_hint_ciphertext, context=f"place:{web.id}"
    )
    assert place == "station Total, Faladié"
    assert tips[receipts[1].reference].last_message_at == follow_up.received_at
    assert tips[receipts[2].reference].place_hint_ciphertext is not None
    assert tips[receipts[2].reference].reporter_id is None
    assert tips[receipts[3].reference].reporter_id is not None
    messages = by_provider_id(
        runtime.keyring,
        await fetch_all(url, select(Message)),
        "web:report",
        "web:answer",
        "SM-mms",
        "CA-call",
    )
    assert messages["web:answer"].tip_id == tips[earlier.receipt.reference].id
    [operator_entry] = await fetch_all(url, select(OperatorEntry))
    assert operator_entry.staff_user_id == staff_id
    [entered] = [m for m in messages.values() if m.tip_id == tips[receipts[2].reference].id]
    assert operator_entry.message_id == entered.id
    attachments = by_provider_id(
        runtime.keyring, await fetch_all(url, select(Attachment)), "ME-1", "ME-2", "RE-1"
    )
    photo = attachments[None]
    assert photo.status == AttachmentStatus.STORED
    assert photo.content_ciphertext is not None
    assert photo.size_bytes == len(PHOTO)
    sealed = open_sealed(
        runtime.keyring, Purpose.CONTENT, photo.content_ciphertext, context=f"attachment:{photo.id}"
    )
    assert sealed == PHOTO
    assert {a.message_id for sid, a in attachments.items() if sid and sid.startswith("ME")} == {
        messages["SM-mms"].id
    }
    assert attachments["RE-1"].status == AttachmentStatus.PENDING
    # One triage job for the batch's tips, in order, named after its first message (no plain
    # text from Twilio here: no deletion job); then one fetch job per message and source of
    # Twilio files.
    [triage] = batch.shared
    assert triage.job_name == "triage_tip"
    assert triage.job_args == [str(tips[receipt.reference].id) for receipt in receipts]
    first_message = messages["web:report"]
    assert triage.job_key == f"triage_tip:{first_message.tip_id}:{first_message.id}"
    names = [[job.job_name for job in one.jobs] for one in stored]
    assert names == [[], [], [], ["fetch_media"], ["fetch_recording"]]
    assert stored[3].jobs[0].job_args == [str(messages["SM-mms"].id)]
    entries = await fetch_all(url, select(OutboxEntry))
    assert {job.job_key for job in batch.jobs} <= {entry.job_key for entry in entries}
    assert [e.job_name for e in entries].count("triage_tip") == 2  # this batch's, the earlier


async def test_a_retried_call_gets_its_first_receipt_and_adds_only_the_missing_recordings(
    app: FastAPI, settings: Settings
) -> None:
    runtime = runtime_of(app)
    call = text("", channel="hotline", provider_id="CA-retried", attachments=(recording("RE-1"),))
    retried = text(
        "",
        channel="hotline",
        provider_id="CA-retried",
        attachments=(recording("RE-1"), recording("RE-2")),
    )
    later = text(
        "",
        channel="hotline",
        provider_id="CA-retried",
        attachments=tuple(recording(f"RE-{n}") for n in (1, 2, 3)),
    )

    first, again = await store(runtime, Submission(call), Submission(retried))
    [last] = await store(runtime, Submission(later))

    reference = first.receipt.reference
    assert first.receipt == IntakeReceipt(reference=reference, new_tip=True, replayed=False)
    assert (
        again.receipt
        == last.receipt
        == IntakeReceipt(reference=reference, new_tip=True, replayed=True)
    )
    url = settings.resolved_database_url
    [message] = await fetch_all(url, select(Message))
    attachments = await fetch_all(url, select(Attachment))
    row_of = {
        sid: a.id
        for sid, a in by_provider_id(runtime.keyring, attachments, "RE-1", "RE-2", "RE-3").items()
    }
    assert sorted(sid or "" for sid in row_of) == ["RE-1", "RE-2", "RE-3"]
    assert {a.message_id for a in attachments} == {message.id}
    assert [job.job_key for job in again.jobs] == [f"fetch_recording:{message.id}:{row_of['RE-2']}"]
    assert [job.job_key for job in last.jobs] == [f"fetch_recording:{message.id}:{row_of['RE-3']}"]
    [nothing_new] = await store(runtime, Submission(later))
    assert nothing_new.jobs == []
    assert len(await fetch_all(url, select(Attachment))) == 3


async def test_a_follow_up_of_an_unknown_reference_is_not_found_and_stores_nothing(
    app: FastAPI, settings: Settings
) -> None:
    runtime = runtime_of(app)
    answer = text("réponse", channel="web", provider_id="web:lost", follow_up_of="OCS-0000-0000")

    with pytest.raises(NotFound):
        await store(
            runtime,
            Submission(text("yamba", sender="+22370000002", provider_id="SM-a")),
            Submission(answer),
        )

    assert await fetch_all(settings.resolved_database_url, select(Tip)) == []
    assert await fetch_all(settings.resolved_database_url, select(Reporter)) == []


async def test_a_batch_failed_by_one_message_stores_the_others_one_at_a_time(
    app: FastAPI, settings: Settings
) -> None:
    intake = app.state.intake
    lost = text("réponse", channel="web", provider_id="web:lost", follow_up_of="OCS-0000-0000")
    others = [
        text(f"tramadol à Fana {n}", sender=f"+2237100000{n}", provider_id=f"SM-{n}")
        for n in range(4)
    ]

    results = await asyncio.gather(
        *(intake.receive(m) for m in [*others[:2], lost, *others[2:]]), return_exceptions=True
    )

    assert isinstance(results[2], NotFound)
    receipts = [r for r in results if isinstance(r, IntakeReceipt)]
    assert len(receipts) == 4
    assert all(receipt.new_tip and not receipt.replayed for receipt in receipts)
    assert len(await fetch_all(settings.resolved_database_url, select(Tip))) == 4


async def test_a_spooled_message_starts_the_tip_of_its_reference_which_later_texts_join(
    app: FastAPI, settings: Settings
) -> None:
    runtime = runtime_of(app)
    sender = "+22370000003"
    [open_tip] = await store(
        runtime, Submission(text("premier", sender=sender, provider_id="SM-1"))
    )
    spooled = new_reference()

    replayed, following = await store(
        runtime,
        Submission(text("pendant la panne", sender=sender, provider_id="SM-2"), reference=spooled),
        Submission(text("après la panne", sender=sender, provider_id="SM-3")),
    )

    assert replayed.receipt == IntakeReceipt(reference=spooled, new_tip=True, replayed=False)
    assert following.receipt == IntakeReceipt(reference=spooled, new_tip=False, replayed=False)
    assert open_tip.receipt.reference != spooled
    tips = await fetch_all(settings.resolved_database_url, select(Tip))
    assert len(tips) == 2
    assert len({tip.reporter_id for tip in tips}) == 1


async def test_during_an_index_key_rotation_a_known_number_is_found_under_its_old_key(
    settings: Settings,
) -> None:
    known, new = "+22370000004", "+22370000005"
    async with running_app(settings) as app:
        first = await app.state.intake.receive(text("premier", sender=known, provider_id="SM-old"))
    path = settings.resolved_keyring_path
    save_keyring(path, load_keyring(path).rotated(Purpose.INDEX))

    async with running_app(settings) as app:
        later = await asyncio.gather(
            *(
                app.state.intake.receive(text(body, sender=sender, provider_id=f"SM-{n}"))
                for n, (sender, body) in enumerate(
                    [(known, "suite"), (new, "nouveau"), (new, "encore")]
                )
            )
        )
        keyring = runtime_of(app).keyring

    assert later[0].reference == first.reference
    assert not later[0].new_tip
    assert later[1].new_tip
    assert later[2].reference == later[1].reference
    reporters = await fetch_all(settings.resolved_database_url, select(Reporter))
    assert len(reporters) == 2
    # A new number goes under the active key.
    assert blind_index(keyring, normalise_phone(new)) in {r.blind_index for r in reporters}


@pytest.fixture
def taken_references(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """References handed out before fresh ones, as if another writer had stored each one just
    after the batch looked it up: a unique-constraint race, which only the INSERT finds."""
    queue: list[str] = []

    async def raced(session: AsyncSession, column: Any, draw: Any, count: int) -> list[str]:
        if queue and count:
            return [queue.pop(0), *await unused_codes(session, column, draw, count - 1)]
        return await unused_codes(session, column, draw, count)

    monkeypatch.setattr(batch, "unused_codes", raced)
    return queue


async def test_a_unique_constraint_race_is_retried_alone_until_it_passes(
    app: FastAPI, settings: Settings, captured_logs: io.StringIO, taken_references: list[str]
) -> None:
    intake = app.state.intake
    taken = (await intake.receive(text("premier", channel="web"))).reference
    taken_references += [taken, taken]  # the batch, then the first attempt alone
    start = captured_logs.tell()

    receipt = await intake.receive(text("second", channel="web"))

    assert receipt.new_tip
    assert receipt.reference != taken
    logged = events(captured_logs, start)
    assert "group_commit_failed" in logged
    assert logged.count("intake_race_retried") == 1
    assert len(await fetch_all(settings.resolved_database_url, select(Tip))) == 2


async def test_a_race_that_keeps_failing_is_an_error_after_three_attempts(
    app: FastAPI, settings: Settings, taken_references: list[str]
) -> None:
    intake = app.state.intake
    taken = (await intake.receive(text("premier", channel="web"))).reference
    taken_references += [taken] * 4  # the batch, then three attempts alone

    with pytest.raises(IntegrityError):
        await intake.receive(text("second", channel="web"))

    assert taken_references == []
    assert len(await fetch_all(settings.resolved_database_url, select(Tip))) == 1


async def test_codes_already_taken_are_drawn_again_inside_the_batch(
    app: FastAPI, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At two million tips a drawn reference (or pseudonym) is sometimes taken: the batch draws
    again instead of failing at INSERT and falling back to one message at a time."""
    runtime = runtime_of(app)
    [first] = await store(runtime, Submission(text("yamba à Kati", sender="+22371000001")))
    [reporter] = await fetch_all(settings.resolved_database_url, select(Reporter))
    taken_reference, taken_pseudonym = first.receipt.reference, reporter.pseudonym
    # Each draw repeats the stored code, then the batch's own first draw, then fresh ones.
    references = iter([taken_reference, taken_reference, "OCS-2222-2222", "OCS-2222-2222"])
    pseudonyms = iter([taken_pseudonym, taken_pseudonym, "SRC-222222", "SRC-222222"])
    monkeypatch.setattr(
        "service.intake.batch.new_reference", lambda: next(references, None) or new_reference()
    )
    monkeypatch.setattr(
        "service.reporters.identity.new_pseudonym",
        lambda: next(pseudonyms, None) or new_pseudonym(),
    )

    stored = await store(
        runtime,
        *(Submission(text("kush à Banconi", sender=f"+2237200000{n}")) for n in range(3)),
    )

    new_references = {one.receipt.reference for one in stored}
    reporters = await fetch_all(settings.resolved_database_url, select(Reporter))
    all_pseudonyms = [one.pseudonym for one in reporters]
    assert len(new_references) == 3
    assert taken_reference not in new_references
    assert len(all_pseudonyms) == len(set(all_pseudonyms)) == 4
