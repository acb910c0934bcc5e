"""The auditor reads the audit trail, newest first, a page at a time — and nothing else."""

from __future__ import annotations

import re

from fastapi import FastAPI

from service.console.navigation import navigation_for
from service.core.audit import record_audit
from service.core.db import create_engine, create_sessionmaker, transaction
from service.models import Role
from service.settings import Settings
from tests.support.console import create_staff, session_client, signed_in_client
from tests.support.statements import statements_sent

_SEQUENCES = re.compile(r"<tr>\s*<td>(\d+)</td>")


async def _fill(settings: Settings, count: int) -> None:
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            for number in range(count):
                await record_audit(
                    session=session, actor=None, action="tip_viewed", target=f"tip:{number}"
                )
    finally:
        await engine.dispose()


async def test_the_trail_pages_newest_first(app: FastAPI, settings: Settings) -> None:
    await _fill(settings, 60)
    auditor = await create_staff(settings, role=Role.AUDITOR)
    async with session_client(app, settings, auditor) as http:
        first = await http.get("/console/audit")
        second = await http.get("/console/audit?page=2")
        api = (await http.get("/api/v1/audit?page=2")).json()

    first_numbers = [int(n) for n in _SEQUENCES.findall(first.text)]
    second_numbers = [int(n) for n in _SEQUENCES.findall(second.text)]
    assert first_numbers == list(range(60, 10, -1))
    assert second_numbers == list(range(10, 0, -1))
    assert (api["page"], api["pages"], api["total"]) == (2, 2, 60)
    assert [entry["sequence"] for entry in api["entries"]] == second_numbers
    assert "Plus anciennes" in first.text


async def test_sign_ins_sign_outs_and_account_changes_appear_with_who_and_when(
    app: FastAPI, settings: Settings
) -> None:
    admin = await create_staff(settings, role=Role.ADMIN)
    auditor = await create_staff(settings, role=Role.AUDITOR)
    async with signed_in_client(app, admin) as http:
        await http.post("/api/v1/users", json={"username": "nouvel-agent", "role": "operator"})
        await http.post("/console/deconnexion")
    async with signed_in_client(app, auditor) as http:
        trail = await http.get("/console/audit")

    text = trail.text
    for label in ("Connexion", "Compte créé", "Déconnexion"):
        assert label in text
    assert admin.username in text
    assert "staff:nouvel-agent" in text
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", text)


def test_the_auditor_is_shown_only_the_trail() -> None:
    hrefs = [item.href for item in navigation_for(Role.AUDITOR)]

    assert "/console/audit" in hrefs
    assert set(hrefs) <= {"/console", "/console/audit", "/console/mot-de-passe"}


async def test_a_page_of_the_trail_seeks_by_sequence_without_counting_or_skipping(
    app: FastAPI, settings: Settings
) -> None:
    """Millions of entries: ``count(*)`` and ``OFFSET`` would read them all at each view."""
    auditor = await create_staff(settings, role=Role.AUDITOR)
    async with session_client(app, settings, auditor) as http:
        with statements_sent(app) as sent:
            page = await http.get("/api/v1/audit?page=1")

    statements = [statement for statement in sent if "audit_entries" in statement]
    assert page.status_code == 200
    assert statements
    assert not [s for s in statements if "offset" in s or "count(" in s]
