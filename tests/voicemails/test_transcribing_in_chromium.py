"""Issue 19, item 9, in Chromium: nothing an operator types is lost. A session that expires while
they type keeps the text in the page (restored after signing in again, the sign-in page saying
why); two operators on one voicemail are told of each other, and a save never silently
overwrites another's."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from playwright.async_api import Page
from sqlalchemy import select, update

from service.core.db import create_engine, create_sessionmaker, transaction
from service.models import Role, StaffSession, Tip
from service.models.types import utcnow
from service.settings import Settings
from tests.support.channel_fixtures import runtime_of_app, settle
from tests.support.console import browser_sign_in, chromium, create_staff, free_port, live_server
from tests.support.fake_twilio import FakeTwilio
from tests.voicemails.test_recordings import VOICEMAIL, call_and_record
from tests.voicemails.test_voicemails import LIST, _calls, _transcripts

TYPED = "yamba bɛ feere Kalaban Coura, sugu kɔfɛ, bi su"


async def expire_sessions(settings: Settings) -> None:
    """Every session idle for longer than the console allows."""
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            idle = utcnow() - timedelta(minutes=settings.console_session_idle_minutes + 1)
            await session.execute(update(StaffSession).values(last_seen_at=idle))
    finally:
        await engine.dispose()


async def field_value(page: Page) -> str:
    return await page.locator("#text").input_value()


async def test_text_typed_when_the_session_expires_is_kept_and_restored(
    channel_app: FastAPI,
    channel_client: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    twilio_settings: Settings,
) -> None:
    await call_and_record(channel_client, fake_twilio.add_recording(VOICEMAIL))
    await settle(channel_app)
    runtime = runtime_of_app(channel_app)
    [call] = await _calls(runtime)
    operator = await create_staff(twilio_settings, role=Role.OPERATOR)
    served = twilio_settings.model_copy(
        update={"public_base_url": f"http://127.0.0.1:{free_port()}"}
    )

    async with live_server(served) as base_url, chromium() as browser:
        page = await (await browser.new_context()).new_page()
        await browser_sign_in(page, base_url, operator)
        await page.goto(f"{base_url}{LIST}/{call.id}")
        await page.locator("#text").press_sequentially(TYPED)
        await expire_sessions(twilio_settings)
        await page.click("#save-transcript")
        signed_out_at = page.url
        expired_notice = await page.locator("#session-expired").text_content()
        nothing_saved = await _transcripts(runtime)

        await browser_sign_in(page, base_url, operator)
        pending = page.locator("#pending-drafts a")
        assert await pending.count() == 1
        await pending.click()
        restored = await field_value(page)
        told = await page.locator("#draft-restored").is_visible()
        await page.click("#save-transcript")
        listed = page.url
        # The click returns once the next page commits; its script forgets the draft as it runs.
        await page.wait_for_load_state()
        left = await page.evaluate("() => sessionStorage.length")

    assert signed_out_at.endswith("/console/connexion?session=expiree")
    assert expired_notice is not None
    assert "session a expiré" in expired_notice
    assert "pas perdu" in expired_notice
    assert nothing_saved == []
    assert restored == TYPED
    assert told
    assert "fait=transcribed" in listed
    assert await _transcripts(runtime) == [TYPED]
    assert left == 0  # the server has it: the tab forgets it


async def test_two_operators_are_told_of_each_other_and_neither_save_is_lost(
    channel_app: FastAPI,
    channel_client: httpx.AsyncClient,
    fake_twilio: FakeTwilio,
    twilio_settings: Settings,
) -> None:
    await call_and_record(channel_client, fake_twilio.add_recording(VOICEMAIL))
    await settle(channel_app)
    runtime = runtime_of_app(channel_app)
    [call] = await _calls(runtime)
    awa = await create_staff(twilio_settings, role=Role.OPERATOR, username="awa")
    binta = await create_staff(twilio_settings, role=Role.OPERATOR, username="binta")
    served = twilio_settings.model_copy(
        update={"public_base_url": f"http://127.0.0.1:{free_port()}"}
    )
    first_text, second_text = "yamba bɛ feere Kalaban Coura", "dɔgɔ bɛ feere sugu la"

    async with live_server(served) as base_url, chromium() as browser:
        first = await (await browser.new_context()).new_page()
        second = await (await browser.new_context()).new_page()
        await browser_sign_in(first, base_url, awa)
        await browser_sign_in(second, base_url, binta)
        await first.goto(f"{base_url}{LIST}/{call.id}")
        await second.goto(f"{base_url}{LIST}/{call.id}")
        told = await second.locator("#other-operators").text_content()
        await first.locator("#text").fill(first_text)
        await second.locator("#text").fill(second_text)
        await first.click("#save-transcript")
        await second.click("#save-transcript")
        refusal = await second.locator("#transcript-error").text_content()
        theirs = await second.locator("#other-transcript").text_content()
        kept = await field_value(second)
        # Having compared, the second operator saves on purpose: now over what they saw.
        await second.click("#save-transcript")
        saved_again = second.url

    assert told is not None
    assert "awa" in told
    assert refusal is not None
    assert "Rien n'a été écrasé" in refusal
    assert theirs == first_text
    assert kept == second_text
    assert "fait=transcribed" in saved_again
    assert await _transcripts(runtime) == [second_text]


async def test_a_call_being_entered_survives_a_session_expiry(
    channel_app: FastAPI, twilio_settings: Settings
) -> None:
    operator = await create_staff(twilio_settings, role=Role.OPERATOR)
    served = twilio_settings.model_copy(
        update={"public_base_url": f"http://127.0.0.1:{free_port()}"}
    )
    words = "Le correspondant signale un dépôt de cannabis derrière la gare de Kayes"

    async with live_server(served) as base_url, chromium() as browser:
        page = await (await browser.new_context()).new_page()
        await browser_sign_in(page, base_url, operator)
        await page.goto(f"{base_url}/console/standard/saisie")
        await page.locator("#text").press_sequentially(words)
        await expire_sessions(twilio_settings)
        await page.click("#enter-tip")
        signed_out_at = page.url
        await browser_sign_in(page, base_url, operator)
        await page.locator("#pending-drafts a").click()
        restored = await field_value(page)
        await page.click("#enter-tip")
        reference = await page.locator("#reference").text_content()
        await page.wait_for_load_state()  # the page's script has run: the draft is forgotten
        left = await page.evaluate("() => sessionStorage.length")

    assert signed_out_at.endswith("/console/connexion?session=expiree")
    assert restored == words
    assert reference is not None
    assert reference.startswith("OCS-")
    assert left == 0
    async with runtime_of_app(channel_app).sessions() as session:
        tips = (await session.scalars(select(Tip))).all()
    assert [tip.reference for tip in tips] == [reference]
