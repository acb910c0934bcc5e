"""Issue 18, item 1: what the citizen sent, seen by those who may read the tip.

Photos and voice notes (the web form's photo, MMS and WhatsApp media) show on the tip's and the
case's page and are listed in the API with nothing of Twilio's; each is decrypted for one
response (never cached, never sniffed) and each view is in the audit trail. Another tip's file,
or another antenna's case, answers 404. The web form's « précision sur le lieu » is on the page.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from html import unescape
from typing import Any

import httpx
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select
from sqlmodel import col

from service.access.files import audit_name
from service.models import AuditEntry, Role, Tip
from service.settings import Settings
from tests.channels.test_web_form import receipt_of, submit, token_of
from tests.intake.test_media_fetch import SMS_PATH, mms_form, photo_with_gps
from tests.support.casework import routed_case, tip_of
from tests.support.channel_fixtures import post_signed, settle
from tests.support.console import create_staff, session_client
from tests.support.fake_twilio import FakeTwilio
from tests.support.inspect import fetch_all

PLACE = "Faladié, Bamako"
DETAIL = "derrière la station Total"
VOICE_NOTE = b"OggS" + bytes(200)  # stored as sent: only photos are re-encoded
ATTACHMENT_FIELDS = {"id", "message_id", "kind", "content_type", "size_bytes", "status", "url"}


async def _web_tip(app: FastAPI, client: httpx.AsyncClient, settings: Settings) -> Tip:
    token = token_of((await client.get("/")).text)
    photo = ("depot-de-mon-voisin.jpg", photo_with_gps(), "image/jpeg")
    response = await submit(client, token, lieu=PLACE, lieu_precis=DETAIL, files={"photo": photo})
    reference, _code = receipt_of(response.text)
    await settle(app)
    return await tip_of(settings.resolved_database_url, reference)


async def _file_views(settings: Settings) -> list[AuditEntry]:
    return await fetch_all(
        settings.resolved_database_url,
        select(AuditEntry).where(col(AuditEntry.action) == "tip.file_viewed"),
    )


async def test_an_officer_sees_the_web_forms_photo_and_place_each_view_audited(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, twilio_settings: Settings
) -> None:
    tip = await _web_tip(channel_app, channel_client, twilio_settings)
    other = await _web_tip(channel_app, channel_client, twilio_settings)
    officer = await create_staff(twilio_settings, role=Role.DUTY_OFFICER)
    base = f"/console/signalements/{tip.id}"

    async with session_client(channel_app, twilio_settings, officer) as http:
        page = unescape((await http.get(base)).text)
        detail = (await http.get(f"/api/v1/tips/{tip.id}")).json()
        [photo] = detail["attachments"]
        [theirs] = (await http.get(f"/api/v1/tips/{other.id}")).json()["attachments"]
        shown = await http.get(f"{base}/fichiers/{photo['id']}")
        by_api = await http.get(photo["url"])
        seek = await http.get(photo["url"], headers={"Range": "bytes=100-"})
        refused = [
            await http.get(f"{base}/fichiers/{theirs['id']}"),
            await http.get(f"/api/v1/tips/{tip.id}/attachments/{theirs['id']}"),
            await http.get(f"{base}/fichiers/{uuid.uuid4()}"),
        ]

    assert f'<img src="{base}/fichiers/{photo["id"]}"' in page
    assert f"Précision sur le lieu : {PLACE}, {DETAIL}" in " ".join(
        re.sub(r"<[^>]+>", " ", page).split()
    )
    assert detail["place_hint"] == f"{PLACE}, {DETAIL}"
    assert set(photo) == ATTACHMENT_FIELDS
    assert (photo["kind"], photo["content_type"], photo["status"]) == (
        "image",
        "image/jpeg",
        "stored",
    )
    assert photo["url"] == f"/api/v1/tips/{tip.id}/attachments/{photo['id']}"
    for response in (shown, by_api):
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        disposition = response.headers["content-disposition"]
        assert re.fullmatch(r'inline; filename="piece-[0-9a-f]{12}\.jpg"', disposition)
    assert len(shown.content) == photo["size_bytes"] == len(by_api.content)
    assert dict(Image.open(io.BytesIO(shown.content)).getexif()) == {}  # the cleaned copy
    assert seek.status_code == 206
    assert [response.status_code for response in refused] == [404, 404, 404]
    # Two views (the page's and the API's); a player seeking further in the file is not a third.
    views = await _file_views(twilio_settings)
    assert [(view.actor_username, view.target) for view in views] == [
        (officer.username, f"tip:{tip.reference}")
    ] * 2
    named = audit_name(uuid.UUID(photo["id"]))
    assert json.loads(views[0].details_json) == {"attachment": named, "media": "image"}


def _mms(fake: FakeTwilio) -> dict[str, str]:
    # A public agent is named: the rules never route such a tip alone, a duty officer decides.
    media = [("image/jpeg", photo_with_gps()), ("audio/ogg", VOICE_NOTE)]
    return mms_form(fake, media, body="un gendarme garde le dépôt de yamba")


def _by_kind(listed: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["kind"]: item for item in listed}


async def test_a_chief_sees_the_mms_photo_and_voice_note_of_their_case_only(
    channel_app: FastAPI,
    channel_client: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    twilio_settings: Settings,
) -> None:
    form = _mms(fake_twilio)
    await post_signed(channel_client, SMS_PATH, form)
    await settle(channel_app)
    [tip] = await fetch_all(twilio_settings.resolved_database_url, select(Tip))
    officer = await create_staff(twilio_settings, role=Role.DUTY_OFFICER)
    chief = await create_staff(twilio_settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")
    stranger = await create_staff(twilio_settings, role=Role.ANTENNA_CHIEF, antenna="SIK")

    async with session_client(channel_app, twilio_settings, officer) as http:
        tip_page = await http.get(f"/console/signalements/{tip.id}")
        tip_json = await http.get(f"/api/v1/tips/{tip.id}")
        case = await routed_case(http, tip, "BKO-RD")
    files = _by_kind(tip_json.json()["attachments"])
    case_base = f"/console/dossiers/{case['id']}/fichiers"
    async with session_client(channel_app, twilio_settings, chief) as http:
        case_page = await http.get(f"/console/dossiers/{case['id']}")
        listed = _by_kind((await http.get(f"/api/v1/cases/{case['id']}")).json()["attachments"])
        heard = await http.get(f"{case_base}/{files['audio']['id']}")
        seen = await http.get(listed["image"]["url"])
    async with session_client(channel_app, twilio_settings, stranger) as http:
        elsewhere = [
            (await http.get(f"{case_base}/{files['image']['id']}")).status_code,
            (await http.get(listed["audio"]["url"])).status_code,
        ]

    tip_base = f"/console/signalements/{tip.id}/fichiers"
    assert f'<img src="{tip_base}/{files["image"]["id"]}"' in tip_page.text
    assert f'<audio controls preload="none" src="{tip_base}/{files["audio"]["id"]}"' in (
        tip_page.text
    )
    assert f'<img src="{case_base}/{files["image"]["id"]}"' in case_page.text
    assert f'src="{case_base}/{files["audio"]["id"]}"' in case_page.text
    # Nothing of Twilio's: neither the media's URL nor its sid, on the page or in the API.
    twilio_ids = [form["MessageSid"], *(form[f"MediaUrl{i}"].rsplit("/", 1)[-1] for i in (0, 1))]
    for text in (tip_page.text, tip_json.text, case_page.text, str(listed)):
        assert [found for found in twilio_ids if found in text] == []
    assert (
        listed["audio"]["url"] == f"/api/v1/cases/{case['id']}/attachments/{files['audio']['id']}"
    )
    assert (heard.status_code, heard.headers["content-type"], heard.content) == (
        200,
        "audio/ogg",
        VOICE_NOTE,
    )
    assert heard.headers["cache-control"] == "no-store"
    assert seen.status_code == 200
    assert elsewhere == [404, 404]
    media = [json.loads(view.details_json)["media"] for view in await _file_views(twilio_settings)]
    assert media == ["audio", "image"]
