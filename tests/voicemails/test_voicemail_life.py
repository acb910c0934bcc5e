"""Issue 19, items 2 and 3: a voicemail is a voicemail until someone has heard it, and once
transcribed it is triaged and routed like any tip, its deadline running from the transcript."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from service.models import (
    Attachment,
    AttachmentStatus,
    AuditEntry,
    Case,
    Message,
    Role,
    Tip,
    TipClosure,
    TipStatus,
)
from service.runtime import Runtime
from service.settings import Settings
from tests.channels.test_hotline_voice import VOICE, recorded_form
from tests.support.channel_fixtures import post_signed, runtime_of_app, settle, wait_until
from tests.support.console import create_staff, session_client
from tests.support.fake_twilio import FakeTwilio, new_sid
from tests.voicemails.test_recordings import VOICEMAIL

LIST = "/console/standard/enregistrements"
# Confident, located, no sensitive flag: the rules route it to the Ségou antenna.
ROUTABLE = "cocaïne vendue au grand marché de Ségou"


async def recorded_call(
    application: FastAPI, client: httpx.AsyncClient, fake: FakeTwilio
) -> tuple[Tip, Message]:
    call_sid = new_sid("CA")
    recording = fake.add_recording(VOICEMAIL, call_sid=call_sid)
    await post_signed(client, f"{VOICE}/recorded?lang=fr", recorded_form(call_sid, recording))
    await settle(application)
    async with runtime_of_app(application).sessions() as session:
        call = (await session.scalars(select(Message))).one()
        tip = await session.get(Tip, call.tip_id)
    assert tip is not None
    return tip, call


async def reload(runtime: Runtime, tip: Tip) -> Tip:
    async with runtime.sessions() as session:
        found = await session.get(Tip, tip.id)
    assert found is not None
    return found


async def test_officers_see_a_voicemail_waiting_for_its_transcript_with_its_player(
    channel_app: FastAPI,
    channel_client: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    twilio_settings: Settings,
) -> None:
    tip, call = await recorded_call(channel_app, channel_client, fake_twilio)
    officer = await create_staff(twilio_settings, role=Role.DUTY_OFFICER)
    audio = f"/console/signalements/{tip.id}/vocal/{call.id}"

    async with session_client(channel_app, twilio_settings, officer) as http:
        page = await http.get(f"/console/signalements/{tip.id}")
        played = await http.get(audio, headers={"Range": "bytes=0-99"})
        elsewhere = await http.get(f"/console/signalements/{tip.id}/vocal/{tip.id}")

    text = unescape(page.text)
    assert "« message vocal en attente de transcription »" in text
    assert f'src="{audio}"' in text
    assert "formulaire web" not in text
    assert (played.status_code, played.content) == (206, VOICEMAIL[:100])
    assert played.headers["cache-control"] == "no-store"
    assert elsewhere.status_code == 404


async def test_a_caller_without_a_number_is_not_called_a_web_source(
    channel_app: FastAPI,
    channel_client: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    twilio_settings: Settings,
) -> None:
    form = recorded_form(new_sid("CA"), fake_twilio.add_recording(VOICEMAIL), caller="anonymous")
    await post_signed(channel_client, f"{VOICE}/recorded?lang=fr", form)
    await settle(channel_app)
    async with runtime_of_app(channel_app).sessions() as session:
        tip = (await session.scalars(select(Tip))).one()
    officer = await create_staff(twilio_settings, role=Role.DUTY_OFFICER)

    async with session_client(channel_app, twilio_settings, officer) as http:
        page = unescape((await http.get(f"/console/signalements/{tip.id}")).text)

    assert "formulaire web" not in page
    assert "Appel au numéro vert sans numéro connu" in page


async def test_closing_an_unheard_voicemail_needs_a_confirmation_that_says_so(
    channel_app: FastAPI,
    channel_client: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    twilio_settings: Settings,
) -> None:
    tip, _call = await recorded_call(channel_app, channel_client, fake_twilio)
    officer = await create_staff(twilio_settings, role=Role.DUTY_OFFICER)
    close = f"/console/signalements/{tip.id}/cloture"

    async with session_client(channel_app, twilio_settings, officer) as http:
        page = unescape((await http.get(f"/console/signalements/{tip.id}")).text)
        page += unescape((await http.get(f"{close}?reason=spam")).text)  # the confirmation step
        refused = await http.post(close, data={"reason": "spam"})
        by_api = await http.post(f"/api/v1/tips/{tip.id}/close", json={"reason": "hors_champ"})
        still_open = await reload(runtime_of_app(channel_app), tip)
        confirmed = await http.post(close, data={"reason": "spam", "sans_ecoute": "1"})

    assert "Je le classe sans que le message vocal ait été transcrit" in page
    assert 'id="close-unheard"' in page
    assert refused.status_code == by_api.status_code == 409
    assert "personne n'a encore transcrit" in unescape(refused.text)
    assert by_api.json()["error"] == "unheard_voicemail"
    assert still_open.status != TipStatus.CLOSED
    assert confirmed.status_code == 303
    assert (await reload(runtime_of_app(channel_app), tip)).status == TipStatus.CLOSED


async def test_a_transcript_reopens_a_tip_closed_unheard_for_triage(
    channel_app: FastAPI,
    channel_client: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    twilio_settings: Settings,
) -> None:
    runtime = runtime_of_app(channel_app)
    tip, call = await recorded_call(channel_app, channel_client, fake_twilio)
    officer = await create_staff(twilio_settings, role=Role.DUTY_OFFICER)
    operator = await create_staff(twilio_settings, role=Role.OPERATOR)
    async with session_client(channel_app, twilio_settings, officer) as http:
        closed = await http.post(
            f"/console/signalements/{tip.id}/cloture", data={"reason": "spam", "sans_ecoute": "1"}
        )
    assert closed.status_code == 303

    async with session_client(channel_app, twilio_settings, operator) as http:
        saved = await http.post(f"{LIST}/{call.id}/transcription", data={"text": ROUTABLE})
        await settle(channel_app)
        listing = unescape((await http.get(saved.headers["location"])).text)

    assert "fait=transcribed_reopened" in saved.headers["location"]
    assert "est rouvert" in listing
    reopened = await reload(runtime, tip)
    assert reopened.status == TipStatus.ROUTED  # triaged again, and confident: routed
    async with runtime.sessions() as session:
        assert await session.get(TipClosure, tip.id) is None
        actions = (await session.scalars(select(col(AuditEntry.action)))).all()
    assert "tip.reopened" in actions


async def test_a_failed_download_is_shown_failed_with_a_retry_that_brings_it_home(
    channel_app: FastAPI,
    channel_client: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    twilio_settings: Settings,
) -> None:
    runtime = runtime_of_app(channel_app)
    fake_twilio.recording_download_failures = [403]  # refused: not worth retrying by itself
    _tip, call = await recorded_call(channel_app, channel_client, fake_twilio)
    operator = await create_staff(twilio_settings, role=Role.OPERATOR)
    async with runtime.sessions() as session:
        failed = (await session.scalars(select(Attachment))).one()
    assert (failed.status, failed.refusal) == (AttachmentStatus.FAILED, "download")
    assert fake_twilio.recordings  # never deleted at Twilio before it is kept

    async with session_client(channel_app, twilio_settings, operator) as http:
        home = await http.get("/console")
        listing = unescape((await http.get(LIST)).text)
        page = unescape((await http.get(f"{LIST}/{call.id}")).text)
        retried = await http.post(f"{LIST}/{call.id}/reessai")
        await settle(channel_app)

        async def stored() -> bool:
            async with runtime.sessions() as session:
                row = (await session.scalars(select(Attachment))).one()
            return row.status == AttachmentStatus.STORED

        await wait_until(stored, what="the recording brought home by the retry")
        after = unescape((await http.get(f"{LIST}/{call.id}")).text)

    assert 'id="voicemails-waiting">0<' in home.text
    assert 'id="voicemails-failed">1<' in home.text
    assert 'id="failed-voicemails"' in listing
    assert 'id="no-voicemails"' in listing  # not among those waiting
    assert "Réessayer le téléchargement" in listing
    assert 'id="retry-download"' in page
    assert retried.headers["location"].endswith("fait=retrying")
    assert 'id="voicemail-audio"' in after
    await wait_until(
        lambda: _held_nothing(fake_twilio), what="recording and call deleted once kept"
    )


async def _held_nothing(fake: FakeTwilio) -> bool:
    return not fake.recordings


async def test_a_confident_transcript_is_routed_at_once_its_deadline_from_the_transcript(
    channel_app: FastAPI,
    channel_client: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    twilio_settings: Settings,
) -> None:
    runtime = runtime_of_app(channel_app)
    tip, call = await recorded_call(channel_app, channel_client, fake_twilio)
    assert (await reload(runtime, tip)).status == TipStatus.AWAITING_OFFICER  # nothing to read
    operator = await create_staff(twilio_settings, role=Role.OPERATOR)

    async with session_client(channel_app, twilio_settings, operator) as http:
        await http.post(f"{LIST}/{call.id}/transcription", data={"text": ROUTABLE})
        await settle(channel_app)

    routed = await reload(runtime, tip)
    async with runtime.sessions() as session:
        case = (await session.scalars(select(Case).where(col(Case.tip_id) == tip.id))).one()
    assert routed.status == TipStatus.ROUTED
    assert case.antenna_code == "SEG"
    assert routed.transcribed_at is not None
    assert case.ack_deadline is not None
    minutes = twilio_settings.ack_deadline_minutes("P2")
    assert minutes is not None
    assert case.ack_deadline - routed.transcribed_at >= timedelta(minutes=minutes)
    assert case.ack_deadline - routed.transcribed_at < timedelta(minutes=minutes, seconds=30)


async def test_the_queue_shows_both_times_and_counts_the_deadline_from_the_transcript(
    channel_app: FastAPI,
    channel_client: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    twilio_settings: Settings,
) -> None:
    runtime = runtime_of_app(channel_app)
    tip, call = await recorded_call(channel_app, channel_client, fake_twilio)
    # The call came in two days ago; the transcript (P3, no place: held) is typed now.
    async with runtime.sessions() as session, session.begin():
        stored = await session.get(Tip, tip.id)
        assert stored is not None
        stored.received_at -= timedelta(days=2)
    operator = await create_staff(twilio_settings, role=Role.OPERATOR)
    officer = await create_staff(twilio_settings, role=Role.DUTY_OFFICER)
    async with session_client(channel_app, twilio_settings, operator) as http:
        await http.post(f"{LIST}/{call.id}/transcription", data={"text": "on vend du yamba ici"})
        await settle(channel_app)

    async with session_client(channel_app, twilio_settings, officer) as http:
        queue = unescape((await http.get("/console/signalements")).text)
        api = (await http.get("/api/v1/queue")).json()

    held = await reload(runtime, tip)
    assert held.status == TipStatus.AWAITING_OFFICER
    assert held.transcribed_at is not None
    assert "transcrit le" in queue
    [item] = [item for item in api["items"] if item["reference"] == tip.reference]
    minutes = twilio_settings.ack_deadline_minutes("P3")
    assert minutes is not None
    deadline = held.transcribed_at + timedelta(minutes=minutes)
    assert item["transcribed_at"].startswith(held.transcribed_at.isoformat()[:16])
    assert item["deadline"].startswith(deadline.isoformat()[:16])


async def test_the_chief_of_the_routed_case_plays_its_voicemail_another_antennas_chief_cannot(
    channel_app: FastAPI,
    channel_client: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    twilio_settings: Settings,
) -> None:
    runtime = runtime_of_app(channel_app)
    tip, call = await recorded_call(channel_app, channel_client, fake_twilio)
    operator = await create_staff(twilio_settings, role=Role.OPERATOR)
    async with session_client(channel_app, twilio_settings, operator) as http:
        await http.post(f"{LIST}/{call.id}/transcription", data={"text": ROUTABLE})
        await settle(channel_app)
    async with runtime.sessions() as session:
        case = (await session.scalars(select(Case).where(col(Case.tip_id) == tip.id))).one()
    own = await create_staff(twilio_settings, role=Role.ANTENNA_CHIEF, antenna="SEG")
    other = await create_staff(twilio_settings, role=Role.ANTENNA_CHIEF, antenna="SIK")
    audio = f"/console/dossiers/{case.id}/vocal/{call.id}"

    async with session_client(channel_app, twilio_settings, own) as http:
        page = await http.get(f"/console/dossiers/{case.id}")
        played = await http.get(audio)
        wrong_message = await http.get(f"/console/dossiers/{case.id}/vocal/{tip.id}")
    async with session_client(channel_app, twilio_settings, other) as http:
        refused = await http.get(audio)

    assert f'src="{audio}"' in page.text
    assert (played.status_code, played.content) == (200, VOICEMAIL)
    assert played.headers["cache-control"] == "no-store"
    assert wrong_message.status_code == 404
    assert refused.status_code == 404
