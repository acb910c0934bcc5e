"""The green number: signed Voice webhooks, the menu, the recording, the reference read out."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from crypto import Purpose, open_text, provider_id_hash
from service.models import Attachment, Message, Reporter, Role, Tip
from service.settings import Settings
from tests.conftest import make_settings
from tests.support.app import running_app
from tests.support.channel_fixtures import citizen_client, post_signed, runtime_of_app
from tests.support.console import create_staff, session_client
from tests.support.fake_twilio import FakeTwilio, new_sid
from tests.support.inspect import count_rows
from tests.support.twilio import ACCOUNT_SID, PUBLIC_BASE_URL, signature, sms_form

VOICE = "/channels/hotline/twilio/voice"
RECORDING = "/channels/hotline/twilio/recording"
CALLER = "+22379887766"


def call_form(call_sid: str, caller: str = CALLER, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "CallSid": call_sid,
        "From": caller,
        "Caller": caller,
        "To": "+22380000001",
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "FromCity": "KAYES",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def recorded_form(call_sid: str, recording_sid: str, caller: str = CALLER) -> dict[str, str]:
    account = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
    return call_form(
        call_sid,
        caller,
        RecordingSid=recording_sid,
        RecordingUrl=f"{account}/Recordings/{recording_sid}",
        RecordingDuration="42",
        Digits="hangup",
    )


def recording_callback_form(call_sid: str, recording_sid: str) -> dict[str, str]:
    account = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
    return {
        "AccountSid": ACCOUNT_SID,
        "CallSid": call_sid,
        "RecordingSid": recording_sid,
        "RecordingUrl": f"{account}/Recordings/{recording_sid}",
        "RecordingStatus": "completed",
        "RecordingDuration": "42",
        "RecordingChannels": "1",
        "RecordingSource": "RecordVerb",
    }


async def test_a_call_hears_the_menu_in_french_with_a_french_voice(
    channel_client: httpx.AsyncClient,
) -> None:
    response = await post_signed(channel_client, VOICE, call_form(new_sid("CA")))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    xml = response.text
    assert f'<Gather action="{PUBLIC_BASE_URL}{VOICE}/language"' in xml
    assert 'numDigits="1"' in xml
    assert '<Say language="fr-FR" voice="Polly.Lea">Office central des stupéfiants' in xml
    assert "Pour le français, tapez 1." in xml
    # No Bambara prompts recorded: Bambara is not offered (least of all in French words).
    assert "bambara" not in xml.lower()
    assert "<Play>" not in xml


async def test_without_its_recorded_prompts_bambara_is_neither_offered_nor_taken(
    tmp_path: Path, database_url: str, captured_logs: io.StringIO
) -> None:
    partly = {"hotline_bm_menu_audio_url": "https://media.ocs.example/bm/menu.mp3"}
    settings = make_settings(tmp_path, database_url, **partly)
    async with running_app(settings) as application, citizen_client(application) as client:
        menu = await post_signed(client, VOICE, call_form(new_sid("CA")))
        two = await post_signed(client, f"{VOICE}/language", call_form(new_sid("CA"), Digits="2"))

    assert "<Play>" not in menu.text
    assert "bambara" not in menu.text.lower()
    assert "<Record " not in two.text  # the menu again, not a French recording sold as Bambara
    assert "Pour le français, tapez 1." in two.text
    warnings = [
        json.loads(line)
        for line in captured_logs.getvalue().splitlines()
        if "hotline_bambara_not_offered" in line
    ]
    assert warnings
    assert warnings[-1]["level"] == "warning"
    assert warnings[-1]["missing_prompts"] == ["record", "reference", "goodbye"]


async def test_bambara_prompts_are_the_configured_audio_files(
    tmp_path: Path, database_url: str
) -> None:
    menu_audio = "https://media.ocs.example/bm/menu.mp3"
    record_audio = "https://media.ocs.example/bm/record.mp3"
    settings = make_settings(
        tmp_path,
        database_url,
        hotline_bm_menu_audio_url=menu_audio,
        hotline_bm_record_audio_url=record_audio,
        hotline_bm_reference_audio_url="https://media.ocs.example/bm/reference.mp3",
        hotline_bm_goodbye_audio_url="https://media.ocs.example/bm/goodbye.mp3",
        hotline_record_max_seconds=120,
    )
    async with running_app(settings) as application, citizen_client(application) as client:
        menu = await post_signed(client, VOICE, call_form(new_sid("CA")))
        bambara = await post_signed(
            client, f"{VOICE}/language", call_form(new_sid("CA"), Digits="2")
        )

    assert f"<Play>{menu_audio}</Play>" in menu.text
    assert "Pour le bambara" not in menu.text
    assert f"<Play>{record_audio}</Play>" in bambara.text
    assert 'maxLength="120"' in bambara.text
    assert f'action="{PUBLIC_BASE_URL}{VOICE}/recorded?lang=bm"' in bambara.text


async def test_french_asks_for_the_message_then_records_it(
    channel_client: httpx.AsyncClient, twilio_settings: Settings
) -> None:
    response = await post_signed(
        channel_client, f"{VOICE}/language", call_form(new_sid("CA"), Digits="1")
    )

    xml = response.text
    assert "Après le bip, décrivez ce que vous avez vu" in xml
    assert f'maxLength="{twilio_settings.hotline_record_max_seconds}"' in xml
    assert 'playBeep="true"' in xml
    assert f'recordingStatusCallback="{PUBLIC_BASE_URL}{RECORDING}?lang=fr"' in xml
    assert await count_rows(twilio_settings.resolved_database_url, "tips") == 0


async def test_a_recorded_message_files_a_tip_and_reads_its_reference_slowly(
    channel_app: FastAPI, channel_client: httpx.AsyncClient
) -> None:
    call_sid = new_sid("CA")

    response = await post_signed(
        channel_client, f"{VOICE}/recorded?lang=fr", recorded_form(call_sid, new_sid("RE"))
    )

    runtime = runtime_of_app(channel_app)
    async with runtime.sessions() as session:
        tip = (await session.scalars(select(Tip))).one()
        reporter = (await session.scalars(select(Reporter))).one()
    assert tip.channel == "hotline"
    assert tip.reporter_id == reporter.id
    assert reporter.identity_ciphertext is not None
    caller = open_text(
        runtime.keyring,
        Purpose.IDENTITY,
        reporter.identity_ciphertext,
        context=f"reporter:{reporter.id}",
    )
    assert caller == CALLER
    spelled = re.findall(r'<say-as interpret-as="characters">(.)</say-as>', response.text)
    characters = tip.reference.replace("-", "")
    assert "".join(spelled) == characters * 2  # every character, twice
    assert '<break time="700ms" />' in response.text
    assert response.text.rstrip().endswith("<Hangup /></Response>")
    assert CALLER not in response.text


async def test_the_recording_callback_after_the_call_adds_no_second_tip(
    channel_client: httpx.AsyncClient, twilio_settings: Settings, fake_twilio: FakeTwilio
) -> None:
    call_sid, recording_sid = new_sid("CA"), new_sid("RE")
    await post_signed(
        channel_client, f"{VOICE}/recorded?lang=fr", recorded_form(call_sid, recording_sid)
    )

    response = await post_signed(
        channel_client, f"{RECORDING}?lang=fr", recording_callback_form(call_sid, recording_sid)
    )

    assert response.status_code == 204
    database = twilio_settings.resolved_database_url
    assert await count_rows(database, "tips") == 1
    assert await count_rows(database, "messages") == 1
    assert await count_rows(database, "attachments") == 1


async def test_the_recording_callback_alone_files_the_tip(
    channel_app: FastAPI, channel_client: httpx.AsyncClient
) -> None:
    call_sid, recording_sid = new_sid("CA"), new_sid("RE")

    await post_signed(
        channel_client, f"{RECORDING}?lang=fr", recording_callback_form(call_sid, recording_sid)
    )

    async with runtime_of_app(channel_app).sessions() as session:
        message = (await session.scalars(select(Message))).one()
        attachment = (await session.scalars(select(Attachment))).one()
        tip = await session.get(Tip, message.tip_id)
    keyring = runtime_of_app(channel_app).keyring
    assert message.provider_id_hash == provider_id_hash(keyring, call_sid)
    assert attachment.provider_id_hash == provider_id_hash(keyring, recording_sid)
    assert tip is not None
    assert tip.reporter_id is None  # this callback carries no caller ID


async def test_a_withheld_caller_id_files_a_tip_without_a_reporter(
    channel_app: FastAPI, channel_client: httpx.AsyncClient
) -> None:
    await post_signed(
        channel_client,
        f"{VOICE}/recorded?lang=fr",
        recorded_form(new_sid("CA"), new_sid("RE"), caller="+266696687"),
    )

    async with runtime_of_app(channel_app).sessions() as session:
        tip = (await session.scalars(select(Tip))).one()
        reporters = (await session.scalars(select(Reporter))).all()
    assert tip.reporter_id is None
    assert reporters == []


async def test_a_caller_who_also_texted_is_the_same_source(
    channel_app: FastAPI, channel_client: httpx.AsyncClient
) -> None:
    await post_signed(
        channel_client, "/channels/sms/twilio", sms_form(sender=CALLER, body="trafic à Kayes")
    )
    # The same number as the voice network writes it, without the + sign.
    await post_signed(
        channel_client,
        f"{VOICE}/recorded?lang=fr",
        recorded_form(new_sid("CA"), new_sid("RE"), caller="0022379887766"),
    )

    async with runtime_of_app(channel_app).sessions() as session:
        tips = (await session.scalars(select(Tip))).all()
        reporters = (await session.scalars(select(Reporter))).all()
    assert len(tips) == 2
    assert len(reporters) == 1
    assert {tip.reporter_id for tip in tips} == {reporters[0].id}


async def test_nothing_recorded_files_nothing(
    channel_client: httpx.AsyncClient, twilio_settings: Settings
) -> None:
    form = call_form(new_sid("CA"), RecordingDuration="0", RecordingSid=new_sid("RE"))

    response = await post_signed(channel_client, f"{VOICE}/recorded?lang=fr", form)

    assert "Aucun message n'a été enregistré" in response.text
    assert await count_rows(twilio_settings.resolved_database_url, "tips") == 0


async def test_an_unsigned_voice_webhook_is_403_and_stores_nothing(
    channel_client: httpx.AsyncClient, twilio_settings: Settings
) -> None:
    form = recorded_form(new_sid("CA"), new_sid("RE"))

    response = await channel_client.post(
        f"{VOICE}/recorded?lang=fr", data=form, headers={"X-Twilio-Signature": "forged"}
    )
    signed_for_another_path = await channel_client.post(
        f"{VOICE}/recorded?lang=bm",
        data=form,
        headers={"X-Twilio-Signature": signature(f"{VOICE}/recorded?lang=fr", form)},
    )

    assert response.status_code == 403
    assert signed_for_another_path.status_code == 403
    assert await count_rows(twilio_settings.resolved_database_url, "tips") == 0
    assert await count_rows(twilio_settings.resolved_database_url, "reporters") == 0


async def test_a_call_from_a_withheld_number_offers_no_question_form(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, twilio_settings: Settings
) -> None:
    await post_signed(
        channel_client,
        f"{VOICE}/recorded?lang=fr",
        recorded_form(new_sid("CA"), new_sid("RE"), caller="anonymous"),
    )
    await post_signed(
        channel_client,
        f"{VOICE}/recorded?lang=fr",
        recorded_form(new_sid("CA"), new_sid("RE"), caller="+22376554433"),
    )
    officer = await create_staff(twilio_settings, role=Role.DUTY_OFFICER)
    async with runtime_of_app(channel_app).sessions() as session:
        tips = (await session.scalars(select(Tip))).all()
    [withheld] = [tip for tip in tips if tip.reporter_id is None]
    [known] = [tip for tip in tips if tip.reporter_id is not None]

    async with session_client(channel_app, twilio_settings, officer) as http:
        withheld_page = await http.get(f"/console/signalements/{withheld.id}")
        known_page = await http.get(f"/console/signalements/{known.id}")

    assert 'id="reporter-unreachable"' in withheld_page.text
    assert f'action="/console/signalements/{withheld.id}/question"' not in withheld_page.text
    assert 'id="reporter-unreachable"' not in known_page.text
    assert f'action="/console/signalements/{known.id}/question"' in known_page.text
