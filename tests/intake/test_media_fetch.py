"""Photos and voice notes sent by MMS/WhatsApp: fetched, cleaned, sealed, erased at Twilio."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select

from crypto import Purpose, open_sealed, provider_id_hash
from service.models import Attachment, AttachmentStatus
from service.runtime import Runtime
from tests.conftest import make_settings
from tests.support.app import running_app
from tests.support.channel_fixtures import citizen_client, post_signed, runtime_of_app, settle
from tests.support.fake_twilio import FakeTwilio, new_sid
from tests.support.twilio import sms_form

SMS_PATH = "/channels/sms/twilio"
SENDER = "+22375001122"
GPS_IFD = 0x8825
MAKE = 0x010F


def photo_with_gps() -> bytes:
    """A JPEG as a phone takes it: camera make and the GPS position in its EXIF."""
    image = Image.new("RGB", (64, 48), (120, 80, 40))
    exif = Image.Exif()
    exif[MAKE] = "PhoneOfTheReporter"
    exif[GPS_IFD] = {1: "N", 2: (12.0, 39.0, 27.0), 3: "W", 4: (8.0, 0.0, 12.0)}
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif.tobytes())
    return output.getvalue()


def mms_form(fake: FakeTwilio, media: list[tuple[str, bytes]], body: str = "") -> dict[str, str]:
    message_sid = new_sid("MM")
    form = sms_form(sender=SENDER, body=body, message_sid=message_sid)
    form["NumMedia"] = str(len(media))
    for index, (content_type, content) in enumerate(media):
        media_sid = fake.add_media(message_sid, content_type, content)
        form[f"MediaUrl{index}"] = fake.media_url(message_sid, media_sid)
        form[f"MediaContentType{index}"] = content_type
    return form


async def attachments(runtime: Runtime) -> list[Attachment]:
    async with runtime.sessions() as session:
        return list((await session.scalars(select(Attachment))).all())


def opened(runtime: Runtime, attachment: Attachment) -> bytes:
    assert attachment.content_ciphertext is not None
    return open_sealed(
        runtime.keyring,
        Purpose.CONTENT,
        attachment.content_ciphertext,
        context=f"attachment:{attachment.id}",
    )


async def test_a_photo_is_kept_without_its_gps_and_erased_at_twilio(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    original = photo_with_gps()
    form = mms_form(fake_twilio, [("image/jpeg", original)], body="le dépôt")

    response = await post_signed(channel_client, SMS_PATH, form)
    await settle(channel_app)

    assert "signalement enregistré" in response.text
    runtime = runtime_of_app(channel_app)
    [photo] = await attachments(runtime)
    assert photo.status == AttachmentStatus.STORED
    kept = opened(runtime, photo)
    assert b"PhoneOfTheReporter" not in kept
    cleaned = Image.open(io.BytesIO(kept))
    assert cleaned.size == (64, 48)
    assert dict(cleaned.getexif()) == {}
    assert b"PhoneOfTheReporter" not in (photo.content_ciphertext or b"")
    message_sid = form["MessageSid"]
    media_path, message_path = fake_twilio.deleted
    assert media_path.startswith(f"Messages/{message_sid}/Media/ME")
    assert message_path == f"Messages/{message_sid}"
    # Only the hash of Twilio's id stays, the id itself went with Twilio's copy.
    media_sid = media_path.rsplit("/", 1)[1]
    assert photo.provider_id_hash == provider_id_hash(runtime.keyring, media_sid)
    assert photo.provider_id_sealed is None
    assert fake_twilio.credentials_leaked is False
    assert fake_twilio.unauthorised == []


async def test_a_voice_note_is_kept_as_sent(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    voice_note = b"OggS\x00\x02" + bytes(300)

    await post_signed(channel_client, SMS_PATH, mms_form(fake_twilio, [("audio/ogg", voice_note)]))
    await settle(channel_app)

    runtime = runtime_of_app(channel_app)
    [note] = await attachments(runtime)
    assert note.status == AttachmentStatus.STORED
    assert note.content_type == "audio/ogg"
    assert opened(runtime, note) == voice_note


async def test_a_video_is_refused_with_a_clear_reply_and_still_erased(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    form = mms_form(fake_twilio, [("video/mp4", b"\x00\x00\x00\x18ftypmp42")], body="regardez")

    response = await post_signed(channel_client, SMS_PATH, form)
    await settle(channel_app)

    assert "seuls les photos et les messages vocaux sont acceptés" in response.text
    [video] = await attachments(runtime_of_app(channel_app))
    assert video.status == AttachmentStatus.REFUSED
    assert video.refusal == "type"
    assert fake_twilio.downloaded == []
    [media_path] = [p for p in fake_twilio.deleted if "/Media/" in p]
    assert media_path.startswith(f"Messages/{form['MessageSid']}/Media/ME")


async def test_a_file_over_the_size_limit_is_refused_and_the_reporter_told(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio
) -> None:
    settings = make_settings(
        tmp_path, database_url, twilio_api_base_url=fake_twilio.url, media_max_bytes=2048
    )
    large = photo_with_gps() + bytes(4096)

    async with running_app(settings) as application, citizen_client(application) as client:
        await post_signed(client, SMS_PATH, mms_form(fake_twilio, [("image/jpeg", large)]))
        await settle(application)
        [photo] = await attachments(runtime_of_app(application))

    assert photo.status == AttachmentStatus.REFUSED
    assert photo.refusal == "too_large"
    assert photo.content_ciphertext is None
    [notice] = fake_twilio.sent
    assert notice.to == SENDER
    assert "dépasse 2 ko et n'a pas été gardé" in notice.body
    assert any("/Media/ME" in path for path in fake_twilio.deleted)


async def test_a_file_that_is_not_the_image_it_claims_is_refused(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    form = mms_form(fake_twilio, [("image/jpeg", b"MZ\x90\x00 not a photo")])

    await post_signed(channel_client, SMS_PATH, form)
    await settle(channel_app)

    [fake_photo] = await attachments(runtime_of_app(channel_app))
    assert fake_photo.status == AttachmentStatus.REFUSED
    assert fake_photo.refusal == "unreadable"
    assert "illisible" in fake_twilio.sent[0].body


async def test_a_retried_webhook_fetches_the_media_once(
    channel_app: FastAPI, channel_client: httpx.AsyncClient, fake_twilio: FakeTwilio
) -> None:
    form = mms_form(fake_twilio, [("image/png", _png())])

    await post_signed(channel_client, SMS_PATH, form)
    await post_signed(channel_client, SMS_PATH, form)
    await settle(channel_app)

    assert len(await attachments(runtime_of_app(channel_app))) == 1
    assert len(fake_twilio.downloaded) == 1


def _png() -> bytes:
    output = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 0, 0, 128)).save(output, "PNG")
    return output.getvalue()
