"""The tip page: the conversation, the decision with the rules and words that fired, possible
duplicates, the source's pseudonym with its past tips — never a number, and reading it is audited."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from service.models import AuditEntry, Reporter, Role
from service.settings import Settings
from tests.support.casework import new_sender, received_tip, routed_case, send_sms, settle
from tests.support.console import create_staff, session_client
from tests.support.inspect import fetch_all

DESIGN_TIP = "yamba ka feere Kalaban coura ce soir"


async def test_the_tip_page_shows_conversation_decision_words_and_pseudonym_but_no_number(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    sender = new_sender()
    tip = await received_tip(app, client, settings.resolved_database_url, DESIGN_TIP, sender)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)

    async with session_client(app, settings, officer) as http:
        page = await http.get(f"/console/signalements/{tip.id}")

    assert page.status_code == 200
    [reporter] = await fetch_all(settings.resolved_database_url, select(Reporter))
    assert DESIGN_TIP in page.text
    assert reporter.pseudonym in page.text
    assert "yamba" in page.text.split("console.tip.rules_fired")[-1]
    assert tip.reference in page.text
    digits = sender.removeprefix("+")
    assert digits not in page.text and digits[-8:] not in page.text
