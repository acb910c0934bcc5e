"""Retention erases everything: once a tip's content period has run out, nothing written about it
or derived from what the reporter sent is readable — not with the keyring, not in a dump, not in
a file of the data directory."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from crypto import DecryptionError, Purpose, open_sealed, seal, seal_text
from service.casework.notes import add_note
from service.core.db import transaction
from service.models import (
    Attachment,
    AttachmentSource,
    AttachmentStatus,
    Message,
    Role,
    StaffUser,
    Tip,
    TriageDecision,
)
from service.models.types import utcnow
from service.reporters.keys import SEALED_COLUMNS
from service.reporters.replies import queue_reply
from service.retention.jobs import run_retention
from service.runtime import Runtime
from service.voicemails.transcripts import save_transcript
from tests.channels.test_hotline_voice import VOICE, recorded_form
from tests.reliability.harness import fetch_rows
from tests.support.channel_fixtures import post_signed, runtime_of_app
from tests.support.console import create_staff
from tests.support.fake_twilio import FakeTwilio, new_sid
from tests.support.sweep import database_text, found
from tests.support.twilio import sms_form

SMS_PATH = "/channels/sms/twilio"
SENDER = "+22376543210"
# One made-up word per kind of content, so a word found says what was left behind.
TEXT = "yamba chez Zanfaraba"
ANSWER = "devant la boutique Kolonkaw"
QUESTION = "Le Doumbiaka est-il armé ?"
NOTE = "source fiable, recoupe Sirakoro-Fantaba"
TRANSCRIPT = "il vend du chanvre à Wolokoro"
PLACE = "Tienfala-Gouanan"
PHOTO = b"JPEG pixels of the Kassambara warehouse"
RECORDING = b"ID3 voice saying Nafadjikoro"
MARKERS = [
    "Zanfaraba",
    "Kolonkaw",
    "Doumbiaka",
    "Sirakoro-Fantaba",
    "Wolokoro",
    "Tienfala-Gouanan",
    "Kassambara",
    "Nafadjikoro",
]


async def _seed(runtime: Runtime, client: httpx.AsyncClient, fake: FakeTwilio) -> list[str]:
    """Two tips with one of each kind of content; their references."""
    sms = await post_signed(client, SMS_PATH, sms_form(sender=SENDER, body=TEXT))
    reference = sms.text.split("Référence ")[1][:13]
    call_sid = new_sid("CA")
    fake.receive_call(call_sid, caller="+22379887766")
    recording_sid = fake.add_recording(RECORDING, call_sid=call_sid)
    call = await post_signed(
        client, f"{VOICE}/recorded?lang=fr", recorded_form(call_sid, recording_sid)
    )
    assert call.status_code == 200
    await settle_runtime(runtime)
    officer = await _officer(runtime)
    async with transaction(runtime.sessions) as session:
        tip = await _tip(session, reference)
        first = (await session.scalars(select(Message).where(col(Message.tip_id) == tip.id))).one()
        queue_reply(session=session, keyring=runtime.keyring, tip=tip, body=QUESTION)
        await add_note(
            session=session,
            keyring=runtime.keyring,
            tip=tip,
            author=officer,
            body=NOTE,
            now=utcnow(),
        )
        tip.place_hint_ciphertext = seal_text(
            runtime.keyring, Purpose.CONTENT, PLACE, context=f"place:{tip.id}"
        )
        _add_photo(runtime, session, tip, first.id)
        recorded = (
            await session.scalars(select(Message).where(col(Message.tip_id) != tip.id))
        ).one()
        await save_transcript(
            session=session,
            keyring=runtime.keyring,
            recording_message_id=recorded.id,
            text=TRANSCRIPT,
        )
    await post_signed(client, SMS_PATH, sms_form(sender=SENDER, body=ANSWER))
    await runtime.dispatcher.relay(older_than=timedelta(0))
    await settle_runtime(runtime)
    async with runtime.sessions() as session:
        references = [t.reference for t in (await session.scalars(select(Tip))).all()]
    assert len(references) == 2
    return references


async def settle_runtime(runtime: Runtime) -> None:
    await runtime.queue.join()  # type: ignore[attr-defined]


async def _officer(runtime: Runtime) -> StaffUser:
    account = await create_staff(runtime.settings, role=Role.DUTY_OFFICER)
    async with runtime.sessions() as session:
        officer = await session.get(StaffUser, account.id)
    assert officer is not None
    return officer


async def _tip(session: Any, reference: str) -> Tip:
    tip: Tip = (await session.scalars(select(Tip).where(col(Tip.reference) == reference))).one()
    return tip


def _add_photo(runtime: Runtime, session: Any, tip: Tip, message_id: uuid.UUID) -> None:
    photo_id = uuid.uuid4()
    session.add(
        Attachment(
            id=photo_id,
            tip_id=tip.id,
            message_id=message_id,
            source=AttachmentSource.WEB_UPLOAD,
            content_type="image/jpeg",
            status=AttachmentStatus.STORED,
            content_ciphertext=seal(
                runtime.keyring, Purpose.CONTENT, PHOTO, context=f"attachment:{photo_id}"
            ),
        )
    )


async def readable_texts(runtime: Runtime) -> list[str]:
    """Every ciphertext of every sealed column, opened with the keyring, as text."""
    url = runtime.settings.resolved_database_url
    texts = []
    for sealed in SEALED_COLUMNS:
        key, column = sealed.table.c[sealed.key], sealed.table.c[sealed.column]
        rows = await fetch_rows(url, select(key, column).where(column.is_not(None)))
        for row_key, blob in rows:
            try:
                plain = open_sealed(
                    runtime.keyring, sealed.purpose, blob, context=sealed.context(row_key)
                )
            except DecryptionError:
                continue
            texts.append(plain.decode("utf-8", "replace"))
    return texts


async def test_after_the_content_period_nothing_of_the_tip_is_readable(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    runtime = runtime_of_app(channel_app)
    references = await _seed(runtime, channel_client, fake_twilio)
    before = " ".join(await readable_texts(runtime))
    assert [marker for marker in MARKERS if marker not in before] == []  # all seeded
    async with transaction(runtime.sessions) as session:
        for reference in references:
            (await _tip(session, reference)).mark_closed(utcnow())

    totals = await run_retention(runtime, now=utcnow() + timedelta(days=400))

    assert totals.tips_erased == 2
    haystacks = {
        "sealed columns, opened": "\n".join(await readable_texts(runtime)),
        "database dump": await database_text(runtime.settings.resolved_database_url),
        "data directory": _data_files(runtime),
    }
    assert found(MARKERS, haystacks) == []
    async with runtime.sessions() as session:
        decisions = (await session.scalars(select(TriageDecision))).all()
    assert decisions
    assert all(d.place is None for d in decisions)
    assert all(d.category for d in decisions)  # the statistics stay


def _data_files(runtime: Runtime) -> str:
    directory = runtime.settings.data_dir
    return "\n".join(
        path.read_bytes().decode("latin-1")
        for path in directory.rglob("*")
        if path.is_file() and not path.name.startswith("tipline.db")
    )
