"""Voicemails in the console: the calls waiting for a transcript (found by a query that differs
between SQLite and PostgreSQL, hence both), their audio served decrypted and never cached, and the
transcript typed by an operator, which re-runs triage and replaces any earlier one."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from crypto import Purpose, open_text
from service.models import AuditEntry, Message, Role, Tip, TriageDecision
from service.runtime import Runtime
from service.settings import Settings
from tests.support.channel_fixtures import runtime_of_app, settle
from tests.support.console import create_staff, session_client
from tests.support.fake_twilio import FakeTwilio, new_sid
from tests.voicemails.test_recordings import VOICEMAIL, call_and_record, recordings_settled

LIST = "/console/standard/enregistrements"
FIRST = "yamba bɛ feere Kalaban Coura"
SECOND = "yamba bɛ feere Kalaban Coura bi su, sugu kɔfɛ"


async def _calls(runtime: Runtime) -> list[Message]:
    """The recorded calls' messages, oldest first (not their transcripts)."""
    async with runtime.sessions() as session:
        found = await session.scalars(
            select(Message)
            .where(col(Message.provider_id_hash).is_not(None))
            .order_by(col(Message.created_at))
        )
        return list(found.all())


async def _transcripts(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        found = await session.scalars(
            select(Message).where(col(Message.transcript_of).is_not(None))
        )
        keys = runtime.keyring
        return [
            open_text(keys, Purpose.CONTENT, m.body_ciphertext, context=f"message:{m.id}")
            for m in found.all()
        ]


async def _reference(runtime: Runtime, call: Message) -> str:
    async with runtime.sessions() as session:
        tip = await session.get(Tip, call.tip_id)
    assert tip is not None
    return tip.reference


async def test_waiting_voicemails_are_listed_and_played_decrypted_without_caching(
    channel_app: FastAPI,
    channel_client: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    twilio_settings: Settings,
) -> None:
    await call_and_record(channel_client, fake_twilio.add_recording(VOICEMAIL))
    await call_and_record(channel_client, new_sid("RE"))  # gone from Twilio: never downloaded
    await recordings_settled(channel_app)
    runtime = runtime_of_app(channel_app)
    stored, failed = await _calls(runtime)
    operator = await create_staff(twilio_settings, role=Role.OPERATOR)

    async with session_client(channel_app, twilio_settings, operator) as http:
        listing = await http.get(LIST)
        home = await http.get("/console")
        page = await http.get(f"{LIST}/{stored.id}")
        audio = await http.get(f"{LIST}/{stored.id}/audio")
        not_downloaded = await http.get(f"{LIST}/{failed.id}/audio")
        unknown = await http.get(f"{LIST}/{uuid.uuid4()}/audio")

    rows = listing.text
    assert rows.index(str(stored.id)) < rows.index(str(failed.id))  # oldest first
    assert await _reference(runtime, stored) in rows
    assert "Prêt à écouter" in rows
    assert "Téléchargement impossible" in rows
    # The failed download is not counted as waiting forever: it is counted apart.
    assert 'id="voicemails-waiting">1<' in home.text
    assert 'id="voicemails-failed">1<' in home.text
    assert f'src="{LIST}/{stored.id}/audio"' in page.text
    assert audio.status_code == 200
    assert audio.content == VOICEMAIL
    assert audio.headers["content-type"] == "audio/mpeg"
    assert audio.headers["cache-control"] == "no-store"
    assert not_downloaded.status_code == unknown.status_code == 404


async def test_a_transcript_reruns_triage_leaves_the_list_and_saving_again_replaces_it(
    channel_app: FastAPI,
    channel_client: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    twilio_settings: Settings,
) -> None:
    await call_and_record(channel_client, fake_twilio.add_recording(VOICEMAIL))
    await settle(channel_app)
    runtime = runtime_of_app(channel_app)
    [call] = await _calls(runtime)
    form = f"{LIST}/{call.id}/transcription"
    operator = await create_staff(twilio_settings, role=Role.OPERATOR)

    async with session_client(channel_app, twilio_settings, operator) as http:
        empty = await http.post(form, data={"text": "  "})
        saved = await http.post(form, data={"text": FIRST})
        await settle(channel_app)
        listing = await http.get(saved.headers["location"])
        reopened = await http.get(f"{LIST}/{call.id}")
        await http.post(form, data={"text": SECOND})
        await settle(channel_app)

    async with runtime.sessions() as session:
        decisions = (await session.scalars(select(TriageDecision))).all()
        audit = (await session.scalars(select(AuditEntry))).all()
    reference = await _reference(runtime, call)
    assert empty.status_code == 422
    assert "La transcription est vide" in empty.text
    assert saved.status_code == 303
    assert "Transcription enregistrée" in listing.text
    assert 'id="no-voicemails"' in listing.text
    assert reference in listing.text  # under the recent transcripts, to reopen
    assert FIRST in reopened.text
    assert 'id="transcript-exists"' in reopened.text
    assert await _transcripts(runtime) == [SECOND]
    # The call alone, then each transcript: three different inputs, three decisions.
    assert len({decision.input_digest for decision in decisions}) == 3
    transcribed = [entry for entry in audit if entry.action == "tip.transcribed"]
    assert [entry.target for entry in transcribed] == [f"tip:{reference}"] * 2
    assert all("yamba" not in entry.details_json for entry in audit)


async def test_the_audio_answers_range_requests_so_the_player_can_seek(
    channel_app: FastAPI,
    channel_client: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    twilio_settings: Settings,
) -> None:
    await call_and_record(channel_client, fake_twilio.add_recording(VOICEMAIL))
    await settle(channel_app)
    [call] = await _calls(runtime_of_app(channel_app))
    operator = await create_staff(twilio_settings, role=Role.OPERATOR)
    audio = f"{LIST}/{call.id}/audio"

    async with session_client(channel_app, twilio_settings, operator) as http:
        first = await http.get(audio, headers={"Range": "bytes=0-"})
        back = await http.get(audio, headers={"Range": "bytes=5000-5999"})
        tail = await http.get(audio, headers={"Range": "bytes=-100"})
        beyond = await http.get(audio, headers={"Range": f"bytes={len(VOICEMAIL)}-"})

    size = len(VOICEMAIL)
    assert (first.status_code, first.content) == (206, VOICEMAIL)
    assert first.headers["content-range"] == f"bytes 0-{size - 1}/{size}"
    assert (back.status_code, back.content) == (206, VOICEMAIL[5000:6000])
    assert back.headers["content-range"] == f"bytes 5000-5999/{size}"
    assert (tail.status_code, tail.content) == (206, VOICEMAIL[-100:])
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{size}"
    for answer in (first, back, tail, beyond):
        assert answer.headers["accept-ranges"] == "bytes"
        assert answer.headers["cache-control"] == "no-store"
