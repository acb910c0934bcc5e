"""Safe actions (issue 18, item 6): spam, close and merge ask for confirmation on a page of their
own (so it works without script) and can be undone for a while, audited; the grading form shows
the current grade and chooses nothing in advance."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from service.access.deps import now as request_now
from service.models import AuditEntry, Role, TipStatus
from service.models.types import utcnow
from service.settings import Settings
from tests.conftest import make_settings
from tests.support.browser_tips import send_tip, status_of
from tests.support.casework import received_tip, tip_of
from tests.support.console import (
    browser_sign_in,
    chromium,
    create_staff,
    free_port,
    live_server,
    session_client,
)
from tests.support.inspect import fetch_all

# A public agent is named: the rules leave such a tip to a duty officer (no case opened).
SPAM = "un gendarme vend du yamba, gagnez 1000000 FCFA"
FIRST = "un gendarme vend du yamba derrière le marché de Banconi ce soir"
SECOND = "un gendarme vend du yamba derrière le marché de Banconi ce soir encore"


async def _actions(url: str) -> list[str]:
    entries = await fetch_all(url, select(AuditEntry).order_by(col(AuditEntry.sequence)))
    return [entry.action for entry in entries]


@pytest.mark.browser
async def test_spam_and_merge_are_confirmed_then_undone_without_script(
    tmp_path: Path, database_url: str
) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(tmp_path, database_url, public_base_url=base)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with live_server(settings) as base_url, chromium() as browser:
        spam = await send_tip(settings, base_url, SPAM)
        first = await send_tip(settings, base_url, FIRST)
        second = await send_tip(settings, base_url, SECOND)
        page = await (await browser.new_context(java_script_enabled=False)).new_page()
        await browser_sign_in(page, base_url, officer)

        await page.goto(f"{base_url}/console/signalements/{spam.id}")
        await page.click("#close-spam")
        question = await page.text_content("#confirm-question") or ""
        still_open = await status_of(settings, spam)
        await page.click("#confirm-button")
        closed = await status_of(settings, spam)
        notice = await page.text_content(".notice") or ""
        await page.click("#undo-button")
        reopened_notice = await page.text_content(".notice") or ""
        reopened = await status_of(settings, spam)

        await page.goto(f"{base_url}/console/signalements/{second.id}")
        assert await page.locator("#merge-into").count() == 1, "the tips were not linked"
        await page.select_option("#merge-into", str(first.id))
        await page.click("#merge-button")
        merge_question = await page.text_content("#confirm-question") or ""
        merge_pending = await status_of(settings, second)
        await page.click("#confirm-button")
        merged_url = page.url
        merged = await status_of(settings, second)
        await page.click("#undo-button")
        unmerged = await status_of(settings, second)

    assert spam.reference in question
    assert "spam" in question
    assert still_open == TipStatus.AWAITING_OFFICER
    assert closed == TipStatus.CLOSED
    assert "Signalement clos." in notice
    assert "Clôture annulée" in reopened_notice
    assert reopened == TipStatus.AWAITING_OFFICER
    assert first.reference in merge_question
    assert second.reference in merge_question
    assert merge_pending == TipStatus.AWAITING_OFFICER
    assert merged_url.startswith(f"{base_url}/console/signalements/{first.id}")
    assert merged == TipStatus.CLOSED
    assert unmerged == TipStatus.AWAITING_OFFICER
    actions = await _actions(settings.resolved_database_url)
    assert actions.count("tip.closure_undone") == 2
    assert "tip.closed" in actions
    assert "tip.merged" in actions


@pytest.mark.browser
async def test_the_grading_form_shows_the_grade_and_chooses_nothing_in_advance(
    tmp_path: Path, database_url: str
) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(tmp_path, database_url, public_base_url=base)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with live_server(settings) as base_url, chromium() as browser:
        tip = await send_tip(settings, base_url, FIRST)
        page = await (await browser.new_context()).new_page()
        await browser_sign_in(page, base_url, officer)
        await page.goto(f"{base_url}/console/signalements/{tip.id}")
        before = await page.text_content("#current-grade") or ""
        chosen_before = [
            await page.input_value("#grade-source"),
            await page.input_value("#grade-information"),
        ]
        await page.click("#grade-form button[type=submit]")  # nothing chosen: the browser refuses
        refused_url = page.url
        await page.select_option("#grade-source", "F")
        await page.select_option("#grade-information", "3")
        await page.click("#grade-form button[type=submit]")
        await page.wait_for_selector("text=Cotation enregistrée.")
        after = await page.text_content("#current-grade") or ""
        chosen_after = [
            await page.input_value("#grade-source"),
            await page.input_value("#grade-information"),
        ]

    assert "Pas encore de cotation" in before
    assert chosen_before == ["", ""]
    assert refused_url == f"{base_url}/console/signalements/{tip.id}"
    assert "F3" in after
    assert chosen_after == ["", ""]  # the grade is shown, never preselected


@pytest.fixture
def clock(app: FastAPI) -> Iterator[list[datetime]]:
    held = [utcnow()]
    app.dependency_overrides[request_now] = lambda: held[0]
    yield held
    app.dependency_overrides.pop(request_now, None)


async def test_a_closure_is_undone_by_its_officer_or_a_supervisor_within_the_window_only(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, clock: list[datetime]
) -> None:
    url = settings.resolved_database_url
    tip = await received_tip(app, client, url, FIRST)
    late_tip = await received_tip(app, client, url, SECOND)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    colleague = await create_staff(settings, role=Role.DUTY_OFFICER)
    supervisor = await create_staff(settings, role=Role.SUPERVISOR)

    async with (
        session_client(app, settings, officer) as http,
        session_client(app, settings, colleague) as other,
        session_client(app, settings, supervisor) as boss,
    ):
        for closing in (tip, late_tip):
            closed = await http.post(
                f"/console/signalements/{closing.id}/cloture", data={"reason": "spam"}
            )
            assert closed.status_code == 303
        by_colleague = await other.post(f"/console/signalements/{tip.id}/annulation")
        by_supervisor = await boss.post(f"/console/signalements/{tip.id}/annulation")
        twice = await http.post(f"/console/signalements/{tip.id}/annulation")
        clock[0] = clock[0] + timedelta(minutes=16)
        too_late = await http.post(f"/console/signalements/{late_tip.id}/annulation")
        page = await http.get(f"/console/signalements/{late_tip.id}")

    assert by_colleague.status_code == 409
    assert by_supervisor.status_code == 303
    assert twice.status_code == 409
    assert too_late.status_code == 409
    assert "undo-button" not in page.text
    reopened = await tip_of(url, tip.reference)
    assert reopened.status == TipStatus.AWAITING_OFFICER
    assert reopened.closed_at is None  # retention's clock stops with the closure undone
    assert (await tip_of(url, late_tip.reference)).status == TipStatus.CLOSED
    assert (await _actions(url)).count("tip.closure_undone") == 1


async def test_the_confirmation_steps_change_nothing(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    tip = await received_tip(app, client, url, FIRST)
    other = await received_tip(app, client, url, SECOND)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with session_client(app, settings, officer) as http:
        close = await http.get(f"/console/signalements/{tip.id}/cloture?reason=spam")
        merge = await http.get(f"/console/signalements/{tip.id}/fusion?into={other.id}")
        unknown = await http.get(f"/console/signalements/{tip.id}/cloture?reason=ennuyeux")
        choose = await http.get(f"/console/signalements/{tip.id}/cloture")
        no_target = await http.get(f"/console/signalements/{tip.id}/fusion")
    assert close.status_code == merge.status_code == 200
    assert choose.status_code == no_target.status_code == 200
    assert 'name="reason" value="spam"' in choose.text
    assert 'name="reason" value="hors_champ"' in choose.text
    assert 'id="confirm-form"' not in no_target.text
    assert 'action="/console/signalements/' in close.text
    assert unknown.status_code == 422
    assert (await tip_of(url, tip.reference)).status == TipStatus.AWAITING_OFFICER
