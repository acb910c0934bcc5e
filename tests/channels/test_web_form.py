"""The citizen web form: light, French first, nothing from elsewhere, CSRF-protected, one tip per
submission, the receipt code shown once and stored only as a hash."""

from __future__ import annotations

import io
import re

import httpx
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select

from crypto import Purpose, open_sealed, open_text, verify_receipt_code
from service.models import Attachment, Message, Tip, TriageDecision
from service.settings import Settings
from tests.support.channel_fixtures import CLIENT_ADDRESS, runtime_of_app, settle
from tests.support.inspect import count_rows, raw_rows_text

STORY = "Un homme vend du cannabis derrière la station Total de Faladié chaque soir."


def token_of(page: str) -> str:
    found = re.search(r'name="jeton" value="([^"]+)"', page)
    assert found, "the page has no form token"
    return found.group(1)


def receipt_of(page: str) -> tuple[str, str]:
    reference = re.search(r'id="reference">(OCS-[A-Z0-9-]+)<', page)
    code = re.search(r'id="code-de-suivi">([A-Z0-9-]+)<', page)
    assert reference
    assert code
    return reference.group(1), code.group(1)


async def submit(
    client: httpx.AsyncClient,
    token: str | None,
    *,
    story: str = STORY,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    **fields: str,
) -> httpx.Response:
    data = {"recit": story, **fields}
    if token is not None:
        data["jeton"] = token
    # multipart, as the browser sends it (the form can carry a photo)
    files = files or {"photo": ("", b"", "application/octet-stream")}
    return await client.post("/", data=data, files=files, headers={"Accept": "text/html"})


async def test_the_form_is_french_light_and_loads_nothing_from_elsewhere(
    channel_client: httpx.AsyncClient,
) -> None:
    page = await channel_client.get("/")
    stylesheet = await channel_client.get("/static/citoyen/citoyen.css")

    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert "Signaler anonymement" in page.text
    assert '<span class="alt" lang="en">Report anonymously</span>' in page.text
    assert len(page.content) + len(stylesheet.content) < 50 * 1024
    assert "<script" not in page.text
    external = re.findall(r'(?:src|href|action)="(https?:)?//', page.text)
    assert external == []
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "form-action 'self'" in policy
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    assert "Votre adresse IP, votre navigateur" in page.text or "votre adresse IP" in page.text


async def test_the_place_list_comes_from_the_routing_reference(
    channel_client: httpx.AsyncClient,
) -> None:
    page = (await channel_client.get("/")).text

    assert '<option value="Banconi, Bamako">Banconi</option>' in page
    assert '<option value="Kati, Koulikoro">Kati</option>' in page
    assert '<option value="Zégoua, Sikasso">Zégoua</option>' in page  # border post, no marker


async def test_a_report_files_one_tip_and_shows_reference_and_code_once(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, twilio_settings: Settings
) -> None:
    token = token_of((await channel_client.get("/")).text)

    response = await submit(
        channel_client, token, lieu="Faladié, Bamako", lieu_precis="station Total", quand="hier"
    )

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    reference, code = receipt_of(response.text)
    assert "ils ne seront plus jamais affichés" in response.text
    runtime = runtime_of_app(channel_app)
    async with runtime.sessions() as session:
        tip = (await session.scalars(select(Tip))).one()
        message = (await session.scalars(select(Message))).one()
    assert tip.reference == reference
    assert tip.channel == "web"
    assert tip.reporter_id is None
    assert tip.receipt_code_hash is not None
    assert verify_receipt_code(tip.receipt_code_hash, code)
    assert tip.place_hint_ciphertext is not None
    place = open_text(
        runtime.keyring, Purpose.CONTENT, tip.place_hint_ciphertext, context=f"place:{tip.id}"
    )
    assert place == "Faladié, Bamako, station Total"
    body = open_text(
        runtime.keyring, Purpose.CONTENT, message.body_ciphertext, context=f"message:{message.id}"
    )
    assert body == f"{STORY}\n\nQuand : hier"
    dump = await raw_rows_text(twilio_settings.resolved_database_url)
    # Words only the citizen wrote (triage may store a substance or a gazetteer place name).
    for secret in (code, code.replace("-", ""), "station Total", "derrière", CLIENT_ADDRESS):
        assert secret not in dump


async def test_the_place_picked_from_the_list_routes_whatever_town_the_detail_names(
    channel_app: FastAPI, channel_client: httpx.AsyncClient
) -> None:
    token = token_of((await channel_client.get("/")).text)

    await submit(
        channel_client,
        token,
        story="Un homme vend du yamba chaque soir devant sa boutique.",
        lieu="Grand Marché, Bamako",
        lieu_precis="les camions de la route de Ségou",
    )
    await settle(channel_app)

    async with runtime_of_app(channel_app).sessions() as session:
        decision = (await session.scalars(select(TriageDecision))).one()
    assert (decision.place, decision.antenna) == ("Grand Marché", "BKO-RG")


async def test_a_form_without_its_token_is_403_and_stores_nothing(
    channel_client: httpx.AsyncClient, twilio_settings: Settings
) -> None:
    await channel_client.get("/")  # the cookie is there; the token is not

    response = await submit(channel_client, None)

    assert response.status_code == 403
    assert "Formulaire expiré" in response.text
    assert await count_rows(twilio_settings.resolved_database_url, "tips") == 0


async def test_a_token_taken_to_another_browser_is_403(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, twilio_settings: Settings
) -> None:
    token = token_of((await channel_client.get("/")).text)
    transport = httpx.ASGITransport(app=channel_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://tipline.example.org"
    ) as other:
        await other.get("/")  # its own cookie
        response = await submit(other, token)
        forged = await submit(other, token[:-3] + "AAA")

    assert response.status_code == 403
    assert forged.status_code == 403
    assert await count_rows(twilio_settings.resolved_database_url, "tips") == 0


async def test_submitting_the_same_form_twice_files_one_tip(
    channel_client: httpx.AsyncClient, twilio_settings: Settings
) -> None:
    token = token_of((await channel_client.get("/")).text)

    first = await submit(channel_client, token)
    again = await submit(channel_client, token)

    reference, _code = receipt_of(first.text)
    assert again.status_code == 200
    assert reference in again.text
    assert "code-de-suivi" not in again.text  # the code is never shown a second time
    assert "déjà été reçu" in again.text
    assert await count_rows(twilio_settings.resolved_database_url, "tips") == 1


async def test_an_empty_story_is_422_keeps_the_answers_and_stores_nothing(
    channel_client: httpx.AsyncClient, twilio_settings: Settings
) -> None:
    token = token_of((await channel_client.get("/")).text)

    response = await submit(channel_client, token, story="  ", lieu="Kati, Koulikoro")

    assert response.status_code == 422
    assert "Décrivez ce que vous avez vu." in response.text
    assert '<option value="Kati, Koulikoro" selected>' in response.text
    assert await count_rows(twilio_settings.resolved_database_url, "tips") == 0


async def test_a_place_outside_the_list_is_422(
    channel_client: httpx.AsyncClient, twilio_settings: Settings
) -> None:
    token = token_of((await channel_client.get("/")).text)

    response = await submit(channel_client, token, lieu="Atlantis")

    assert response.status_code == 422
    assert await count_rows(twilio_settings.resolved_database_url, "tips") == 0


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (32, 24), (10, 200, 10))
    exif = Image.Exif()
    exif[0x010F] = "CitizenPhoneModel"
    exif[0x8825] = {1: "N", 2: (12.0, 38.0, 1.0), 3: "W", 4: (7.0, 59.0, 2.0)}
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif.tobytes())
    return output.getvalue()


async def test_a_photo_is_kept_encrypted_without_its_metadata(
    channel_app: FastAPI, channel_client: httpx.AsyncClient
) -> None:
    token = token_of((await channel_client.get("/")).text)

    response = await submit(
        channel_client, token, files={"photo": ("IMG_0042.jpg", jpeg_with_gps(), "image/jpeg")}
    )

    assert response.status_code == 200
    runtime = runtime_of_app(channel_app)
    async with runtime.sessions() as session:
        photo = (await session.scalars(select(Attachment))).one()
    assert photo.source == "web_upload"
    assert photo.content_ciphertext is not None
    kept = open_sealed(
        runtime.keyring,
        Purpose.CONTENT,
        photo.content_ciphertext,
        context=f"attachment:{photo.id}",
    )
    assert b"CitizenPhoneModel" not in kept
    assert dict(Image.open(io.BytesIO(kept)).getexif()) == {}


async def test_an_oversize_upload_is_413_and_stores_nothing(
    channel_client: httpx.AsyncClient, twilio_settings: Settings
) -> None:
    token = token_of((await channel_client.get("/")).text)
    huge = jpeg_with_gps() + bytes(twilio_settings.web_upload_max_bytes)

    response = await submit(
        channel_client, token, files={"photo": ("grande.jpg", huge, "image/jpeg")}
    )

    assert response.status_code == 413
    assert "trop volumineux" in response.text
    assert await count_rows(twilio_settings.resolved_database_url, "tips") == 0
    assert await count_rows(twilio_settings.resolved_database_url, "attachments") == 0


async def test_a_photo_over_the_photo_limit_is_413_and_stores_nothing(
    channel_client: httpx.AsyncClient, twilio_settings: Settings
) -> None:
    token = token_of((await channel_client.get("/")).text)
    heavy = jpeg_with_gps() + bytes(twilio_settings.media_max_bytes)  # under the body limit

    response = await submit(
        channel_client, token, files={"photo": ("lourde.jpg", heavy, "image/jpeg")}
    )

    assert response.status_code == 413
    assert await count_rows(twilio_settings.resolved_database_url, "tips") == 0


async def test_a_file_that_is_not_a_photo_is_422(
    channel_client: httpx.AsyncClient, twilio_settings: Settings
) -> None:
    token = token_of((await channel_client.get("/")).text)

    response = await submit(
        channel_client, token, files={"photo": ("doc.pdf", b"%PDF-1.4 ...", "application/pdf")}
    )

    assert response.status_code == 422
    assert "JPEG, PNG ou WebP" in response.text
    assert await count_rows(twilio_settings.resolved_database_url, "tips") == 0
