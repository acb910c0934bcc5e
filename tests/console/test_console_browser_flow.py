"""The console in a real browser (Debian chromium): a duty officer signs in with TOTP and works a
tip from the queue to an antenna with the keyboard; the antenna's chief, alerted by SMS, sees the
case escalate when its deadline passes (time set by the test) and acknowledges it; the auditor
reads all of it in the trail. No content-security-policy violation on the way."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select
from sqlmodel import col
from twilio.request_validator import RequestValidator

from service.background.backends import InProcessQueue
from service.casework.jobs import escalate_overdue_cases
from service.models import Case, Role, Tip, TipStatus
from service.settings import Settings
from service.startup import open_process
from tests.conftest import make_settings
from tests.support.casework import new_sender
from tests.support.console import (
    browser_sign_in,
    chromium,
    create_staff,
    free_port,
    live_server,
    record_console_errors,
)
from tests.support.fake_twilio import FakeTwilio, running_fake_twilio
from tests.support.inspect import fetch_all
from tests.support.twilio import AUTH_TOKEN, sms_form

pytestmark = pytest.mark.browser

# A public agent is named: the rules never route such a tip alone, a duty officer decides.
TIP_TEXT = "un gendarme vend du yamba derrière le marché de Banconi"
CHIEF_PHONE = "+22370998877"


async def _send_sms(base_url: str, body: str) -> None:
    path = "/channels/sms/twilio"
    form = sms_form(sender=new_sender(), body=body)
    signature = RequestValidator(AUTH_TOKEN).compute_signature(base_url + path, form)
    async with httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post(path, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200, response.text


async def _triaged_tip(settings: Settings) -> Tip:
    for _ in range(200):
        tips = await fetch_all(settings.resolved_database_url, select(Tip))
        if tips and tips[0].status != TipStatus.RECEIVED:
            tip: Tip = tips[0]
            return tip
        await asyncio.sleep(0.1)
    raise AssertionError("the tip was not triaged")


async def _sent(fake: FakeTwilio, count: int) -> list[str]:
    for _ in range(200):
        if len(fake.sent) >= count:
            break
        await asyncio.sleep(0.1)
    return [message.body for message in fake.sent if message.to == CHIEF_PHONE]


async def _escalate_after_deadline(settings: Settings, case_id: uuid.UUID) -> int:
    """The cron job, run with its clock set past the case's deadline."""
    [case] = await fetch_all(
        settings.resolved_database_url, select(Case).where(col(Case.id) == case_id)
    )
    assert case.ack_deadline is not None
    process = await open_process(settings)
    runtime = process.runtime
    try:
        late = case.ack_deadline + timedelta(minutes=1)
        escalated = await escalate_overdue_cases({"runtime": runtime, "clock": lambda: late})
        assert isinstance(runtime.queue, InProcessQueue)  # no Redis in this test
        await runtime.queue.join()
    finally:
        await process.close()
    return escalated


async def _officer_routes_the_tip(page: Page, base_url: str, tip: Tip) -> None:
    await page.goto(f"{base_url}/console/signalements")
    assert tip.reference in (await page.text_content("#queue") or "")
    await page.keyboard.press("j")  # select the first row…
    await page.keyboard.press("Enter")  # …and open it
    await page.wait_for_url(f"{base_url}/console/signalements/{tip.id}")
    assert TIP_TEXT in (await page.text_content(".conversation") or "")
    assert await page.locator("#pseudonym").count() == 1
    await page.keyboard.press("c")  # claim
    await page.wait_for_selector("text=Signalement pris en charge.")
    await page.select_option("#route-antenna", "BKO-RD")
    await page.click("#route-button")
    await page.wait_for_url(f"{base_url}/console/signalements?fait=routed")


async def test_a_tip_goes_from_the_queue_to_its_antenna_escalates_and_is_acknowledged(
    tmp_path: Path, database_url: str
) -> None:
    problems: list[str] = []

    async with running_fake_twilio() as fake:
        base = f"http://127.0.0.1:{free_port()}"
        settings = make_settings(
            tmp_path, database_url, public_base_url=base, twilio_api_base_url=fake.url
        )
        officer = await create_staff(
            settings, role=Role.DUTY_OFFICER, enrolled=False, must_change_password=True
        )
        chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")
        auditor = await create_staff(settings, role=Role.AUDITOR)
        async with live_server(settings) as base_url, chromium() as browser:
            pages: dict[str, Page] = {}
            for name, account in (("officer", officer), ("chief", chief), ("auditor", auditor)):
                pages[name] = await (await browser.new_context()).new_page()
                record_console_errors(pages[name], problems)
                await browser_sign_in(pages[name], base_url, account)

            chief_page = pages["chief"]
            await chief_page.click("nav >> text=Alerte SMS")
            await chief_page.fill("#alert-phone", CHIEF_PHONE)
            await chief_page.click("form[action='/console/alerte-sms'] button[type=submit]")
            await expect(chief_page.locator("body")).to_contain_text(
                "Un numéro d'alerte est enregistré."
            )

            await _send_sms(base_url, TIP_TEXT)
            tip = await _triaged_tip(settings)
            assert tip.status == TipStatus.AWAITING_OFFICER
            await _officer_routes_the_tip(pages["officer"], base_url, tip)
            routing_alerts = await _sent(fake, 1)

            [case] = await fetch_all(settings.resolved_database_url, select(Case))
            assert await _escalate_after_deadline(settings, case.id) == 1
            escalation_alerts = await _sent(fake, 2)
            await pages["officer"].goto(f"{base_url}/console/signalements")
            officer_queue = await pages["officer"].text_content("#queue") or ""

            await chief_page.goto(f"{base_url}/console/dossiers")
            chief_list = await chief_page.text_content("#cases") or ""
            await chief_page.click(f"text={tip.reference}")
            # The click returns once the page commits, maybe before it is parsed: wait.
            await expect(chief_page.locator("#escalated")).to_have_count(1)
            await chief_page.click("#acknowledge-button")
            await chief_page.wait_for_selector("text=Réception accusée.")

            auditor_page = pages["auditor"]
            await auditor_page.click("nav >> text=Journal d'audit")
            trail = await auditor_page.text_content("table") or ""

    # Counts only: no reference, no place. Whether the rules call it urgent is triage's business.
    [routed] = routing_alerts
    assert re.fullmatch(r"OCS : 1 nouveau signalement, dont [01] prioritaire\.", routed)
    # The escalation says the case is late: not one more new tip.
    late = r"OCS : RETARD\. Dossiers en retard : 1\. Non accusés : 1, prioritaires : [01]\."
    assert escalation_alerts[0] == routed
    assert re.fullmatch(late, escalation_alerts[1])
    assert len(escalation_alerts) == 2
    assert tip.reference in officer_queue
    assert "Escaladé" in officer_queue
    assert tip.reference in chief_list
    assert "Escaladé" in chief_list
    for action in (
        "Signalement consulté",
        "Signalement pris en charge",
        "Signalement transmis",
        "Dossier escaladé (échéance dépassée)",
        "Dossier consulté",
        "Réception accusée",
    ):
        assert action in trail, action
    assert officer.username in trail
    assert chief.username in trail
    assert CHIEF_PHONE not in trail
    assert problems == []
