"""Issue 18, item 1 in Chromium, on a 390 px phone: the photo and the voice note a reporter sent
by MMS show on the tip's page, the photo drawn and the voice note playable, with nothing to
scroll sideways and no content-security-policy complaint.

Run on SQLite only: what is stored and served is proven on both databases by the HTTP tests
(test_tip_files.py); this one is about the browser.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Locator
from sqlalchemy import select
from sqlmodel import col
from twilio.request_validator import RequestValidator

from service.models import Attachment, AttachmentStatus, AuditEntry, Role, Tip
from service.settings import Settings
from tests.conftest import make_settings
from tests.intake.test_media_fetch import SMS_PATH, mms_form, photo_with_gps
from tests.support.browser_tips import fits_the_width, phone_page
from tests.support.console import (
    browser_sign_in,
    chromium,
    create_staff,
    free_port,
    live_server,
    record_console_errors,
)
from tests.support.fake_twilio import running_fake_twilio
from tests.support.inspect import fetch_all
from tests.support.twilio import AUTH_TOKEN
from tests.voicemails.test_voicemail_player import silent_mp3, until

pytestmark = pytest.mark.browser
SECONDS = 3


async def _stored(settings: Settings, count: int) -> Tip:
    """The tip once its files are downloaded from Twilio (by the live server's own jobs)."""
    url = settings.resolved_database_url
    for _ in range(200):
        stored = await fetch_all(
            url, select(Attachment).where(col(Attachment.status) == AttachmentStatus.STORED)
        )
        if len(stored) == count:
            [tip] = await fetch_all(url, select(Tip))
            assert isinstance(tip, Tip)
            return tip
        await asyncio.sleep(0.05)
    raise AssertionError("the files were not downloaded")


async def _drawn(photo: Locator) -> bool:
    for _ in range(200):
        if await photo.evaluate("img => img.complete && img.naturalWidth > 0"):
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_officer_on_a_phone_sees_the_photo_and_plays_the_voice_note(
    tmp_path: Path, database_url: str
) -> None:
    problems: list[str] = []

    async with running_fake_twilio() as fake:
        base = f"http://127.0.0.1:{free_port()}"
        settings = make_settings(
            tmp_path, database_url, public_base_url=base, twilio_api_base_url=fake.url
        )
        officer = await create_staff(settings, role=Role.DUTY_OFFICER)
        media = [("image/jpeg", photo_with_gps()), ("audio/mpeg", silent_mp3(SECONDS))]
        form = mms_form(fake, media, body="un gendarme garde le dépôt de yamba")
        async with live_server(settings) as base_url, chromium() as browser:
            signed = RequestValidator(AUTH_TOKEN).compute_signature(base_url + SMS_PATH, form)
            async with httpx.AsyncClient(base_url=base_url) as http:
                sent = await http.post(SMS_PATH, data=form, headers={"X-Twilio-Signature": signed})
            assert sent.status_code == 200, sent.text
            tip = await _stored(settings, 2)
            page = await phone_page(browser)
            record_console_errors(page, problems)
            await browser_sign_in(page, base_url, officer)
            await page.goto(f"{base_url}/console/signalements/{tip.id}")

            photo = page.locator("img.file-photo")
            drawn = await _drawn(photo)
            photo_box = await photo.bounding_box()
            player = page.locator("audio.file-audio")
            await player.evaluate("audio => { audio.preload = 'metadata'; audio.load(); }")
            await until(player, "audio => audio.readyState >= 1")
            duration = await player.evaluate("audio => audio.duration")
            fits = await fits_the_width(page)

    assert drawn
    assert photo_box is not None
    assert photo_box["width"] <= 390
    assert abs(duration - SECONDS) < 1
    assert fits
    assert problems == []
    views = await fetch_all(
        settings.resolved_database_url,
        select(col(AuditEntry.actor_username)).where(col(AuditEntry.action) == "tip.file_viewed"),
    )
    assert set(views) == {officer.username}
    assert len(views) >= 2  # the photo and the voice note, each in the trail
