"""An operator goes back in a long voicemail, in Chromium: the player seeks through range requests.

Chromium asks for ``Range: bytes=0-`` and, to seek in an MP3 it has not fully buffered, for the
byte offset of the time wanted; a server that answers 200 to both leaves a player that cannot
jump back ten seconds in a three-minute message.
"""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from playwright.async_api import Locator
from playwright.async_api import Response as BrowserResponse

from service.models import Role
from service.settings import Settings
from tests.support.channel_fixtures import runtime_of_app, settle
from tests.support.console import browser_sign_in, chromium, create_staff, free_port, live_server
from tests.support.fake_twilio import FakeTwilio
from tests.voicemails.test_recordings import call_and_record
from tests.voicemails.test_voicemails import LIST, _calls

SECONDS = 60
# MPEG-1 layer III, 128 kbit/s, 44.1 kHz, mono: 417-byte frames of 1,152 samples. Frames whose
# side information is all zeros decode to silence, which is all a player needs to seek in.
_FRAME = bytes.fromhex("fffb90c4") + bytes(417 - 4)
_FRAMES_PER_SECOND = 44100 / 1152


def silent_mp3(seconds: int) -> bytes:
    return _FRAME * round(seconds * _FRAMES_PER_SECOND)


async def until(player: Locator, predicate: str) -> None:
    """Polls from Python: the console's script policy forbids wait_for_function's eval."""
    for _ in range(200):
        if await player.evaluate(predicate):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never true: {predicate}")


async def test_an_operator_seeks_back_in_a_long_voicemail(
    channel_app: FastAPI,
    channel_client: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    twilio_settings: Settings,
) -> None:
    await call_and_record(channel_client, fake_twilio.add_recording(silent_mp3(SECONDS)))
    await settle(channel_app)
    [call] = await _calls(runtime_of_app(channel_app))
    operator = await create_staff(twilio_settings, role=Role.OPERATOR)
    served = twilio_settings.model_copy(
        update={"public_base_url": f"http://127.0.0.1:{free_port()}"}
    )
    statuses: list[int] = []

    def watch(response: BrowserResponse) -> None:
        if response.url.endswith("/audio"):
            statuses.append(response.status)

    async with live_server(served) as base_url, chromium() as browser:
        page = await (await browser.new_context()).new_page()
        page.on("response", watch)
        await browser_sign_in(page, base_url, operator)
        await page.goto(f"{base_url}{LIST}/{call.id}")
        player = page.locator("#voicemail-audio")
        await until(player, "audio => audio.readyState >= 1")
        duration = await player.evaluate("audio => audio.duration")
        await player.evaluate("audio => { audio.currentTime = 45; }")
        await until(player, "audio => !audio.seeking && audio.currentTime >= 44")
        seekable_end = await player.evaluate("audio => audio.seekable.end(0)")

    assert abs(duration - SECONDS) < 2
    assert seekable_end >= SECONDS - 2
    assert statuses
    assert set(statuses) == {206}
