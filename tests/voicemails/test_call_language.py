"""Issue 19, item 6: the language the caller chose in the menu is stored with the call and shown
to the operator who transcribes it."""

from __future__ import annotations

from html import unescape
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col

from service.models import Message, Role
from tests.channels.test_hotline_voice import (
    RECORDING,
    VOICE,
    call_form,
    recorded_form,
    recording_callback_form,
)
from tests.conftest import make_settings
from tests.support.app import running_app
from tests.support.channel_fixtures import citizen_client, post_signed, runtime_of_app, settle
from tests.support.console import create_staff, session_client
from tests.support.fake_twilio import FakeTwilio, new_sid

LIST = "/console/standard/enregistrements"
BAMBARA_PROMPTS = {
    f"hotline_bm_{name}_audio_url": f"https://media.ocs.example/bm/{name}.mp3"
    for name in ("menu", "record", "reference", "goodbye")
}


async def test_the_language_chosen_is_kept_and_shown_to_the_operator(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio
) -> None:
    settings = make_settings(
        tmp_path, database_url, twilio_api_base_url=fake_twilio.url, **BAMBARA_PROMPTS
    )
    bambara_call, french_call, callback_only = new_sid("CA"), new_sid("CA"), new_sid("CA")
    async with running_app(settings) as application, citizen_client(application) as client:
        chosen = await post_signed(client, f"{VOICE}/language", call_form(bambara_call, Digits="2"))
        assert f"{VOICE}/recorded?lang=bm" in chosen.text
        for call_sid, lang in ((bambara_call, "bm"), (french_call, "fr")):
            form = recorded_form(call_sid, fake_twilio.add_recording(b"ID3" + bytes(100)))
            await post_signed(client, f"{VOICE}/recorded?lang={lang}", form)
        # The action never came: the recording callback (its URL names the language) files it.
        await post_signed(
            client,
            f"{RECORDING}?lang=bm",
            recording_callback_form(callback_only, fake_twilio.add_recording(b"ID3")),
        )
        await settle(application)
        async with runtime_of_app(application).sessions() as session:
            calls = (await session.scalars(select(Message).order_by(col(Message.created_at)))).all()
        operator = await create_staff(settings, role=Role.OPERATOR)
        async with session_client(application, settings, operator) as http:
            listing = await http.get(LIST)
            pages = [await http.get(f"{LIST}/{call.id}") for call in calls]

    assert [call.language for call in calls] == ["bm", "fr", "bm"]
    shown = [unescape(page.text) for page in pages]
    assert "Langue de l'appel : bambara" in shown[0]
    assert "Langue de l'appel : français" in shown[1]
    assert "Langue de l'appel : bambara" in shown[2]
    assert listing.text.count('<td class="call-language">bambara</td>') == 2
