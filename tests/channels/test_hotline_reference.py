"""A reference a caller can write down: told before the beep to stay on the line, a pause to find
a pen, letters that sound alike spelled with a word, « tapez 1 » to hear it again, and the time
allowed said in correct French."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from channels.hotline.prompts import HotlineConfig, reference_read_out, spoken_duration
from service.models import Tip
from tests.conftest import make_settings
from tests.support.app import running_app
from tests.support.channel_fixtures import citizen_client, post_signed, runtime_of_app
from tests.support.fake_twilio import new_sid
from tests.support.inspect import count_rows
from tests.support.twilio import PUBLIC_BASE_URL

from .test_hotline_voice import VOICE, call_form, recorded_form

REFERENCE = f"{VOICE}/reference"
_SPELLED = re.compile(r'<say-as interpret-as="characters">(.)</say-as>')


@pytest.mark.parametrize(
    ("seconds", "spoken"),
    [
        (45, "45 secondes"),
        (60, "1 minute"),
        (90, "1 minute 30"),
        (120, "2 minutes"),
        (180, "3 minutes"),
        (185, "3 minutes 5"),
    ],
)
def test_the_time_allowed_is_said_as_a_french_speaker_says_it(seconds: int, spoken: str) -> None:
    assert spoken_duration(seconds) == spoken


async def test_before_the_beep_the_caller_hears_the_time_allowed_and_to_stay_on_the_line(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, hotline_record_max_seconds=90)
    async with running_app(settings) as application, citizen_client(application) as client:
        response = await post_signed(
            client, f"{VOICE}/language", call_form(new_sid("CA"), Digits="1")
        )

    xml = response.text
    assert "Vous avez 1 minute 30." in xml
    assert "minutes 30" not in xml
    assert xml.index("restez en ligne") < xml.index("<Record ")


def test_a_pause_comes_first_and_letters_that_sound_alike_are_spelled_with_a_word() -> None:
    config = HotlineConfig(public_base_url=PUBLIC_BASE_URL)

    xml = str(reference_read_out(config, "fr", "OCS-BD2M-FN7S", recording=new_sid("RE")))

    assert xml.index('<Pause length="3" />') < xml.index("<say-as")
    first_reading = xml[: xml.index("</Say>", xml.index("<say-as"))]
    for letter, word in [
        ("B", "Berthe"),
        ("D", "Désiré"),
        ("M", "Marcel"),
        ("F", "François"),
        ("N", "Nicolas"),
        ("S", "Suzanne"),
    ]:
        spelled = f'<say-as interpret-as="characters">{letter}</say-as><prosody rate="90%">'
        assert f"{spelled}comme {word}</prosody>" in first_reading
    # Clear letters and digits are read alone.
    assert '<say-as interpret-as="characters">2</say-as><break' in first_reading
    assert '<say-as interpret-as="characters">C</say-as><break' in first_reading


async def test_pressing_1_reads_the_same_reference_again_and_files_nothing_more(
    channel_app: FastAPI, channel_client: httpx.AsyncClient
) -> None:
    call_sid, recording_sid = new_sid("CA"), new_sid("RE")
    first = await post_signed(
        channel_client, f"{VOICE}/recorded?lang=fr", recorded_form(call_sid, recording_sid)
    )
    offer = f"{REFERENCE}?lang=fr&amp;recording={recording_sid}"
    assert f'<Gather action="{PUBLIC_BASE_URL}{offer}"' in first.text
    assert "Pour réécouter votre référence, tapez 1." in first.text

    again = await post_signed(
        channel_client,
        f"{REFERENCE}?lang=fr&recording={recording_sid}",
        call_form(call_sid, Digits="1"),
    )
    done = await post_signed(
        channel_client,
        f"{REFERENCE}?lang=fr&recording={recording_sid}",
        call_form(call_sid, Digits="9"),
    )

    async with runtime_of_app(channel_app).sessions() as session:
        tip = (await session.scalars(select(Tip))).one()
    characters = tip.reference.replace("-", "")
    assert "".join(_SPELLED.findall(again.text)) == characters * 2
    assert "Prenez de quoi écrire" not in again.text  # straight to the reading
    assert "Pour réécouter votre référence" in again.text
    assert "<say-as" not in done.text
    assert done.text.rstrip().endswith("<Hangup /></Response>")
    assert "rappelez ce numéro et donnez cette référence" in done.text


async def test_a_repeat_with_a_forged_recording_reads_nothing_and_files_nothing(
    channel_client: httpx.AsyncClient, database_url: str
) -> None:
    response = await post_signed(
        channel_client,
        f"{REFERENCE}?lang=fr&recording=not-a-recording",
        call_form(new_sid("CA"), Digits="1"),
    )

    assert response.status_code == 200
    assert "<say-as" not in response.text
    assert await count_rows(database_url, "tips") == 0
