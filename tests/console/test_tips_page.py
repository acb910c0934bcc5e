"""The tip page: the conversation, the decision with the rules and words that fired, possible
duplicates, the source's pseudonym with its past tips. Never a number; reading it is audited."""

from __future__ import annotations

import html
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from crypto import load_keyring
from service.casework.sources import PAST_COUNT_LIMIT
from service.core.db import create_engine, create_sessionmaker
from service.decisions.store import decision_hits, latest_decision
from service.models import AuditEntry, DuplicateLink, Reporter, Role, Tip, TipStatus
from service.settings import Settings
from tests.support.backlog import add_backlog
from tests.support.casework import new_sender, received_tip, routed_case, send_sms, tip_of
from tests.support.console import create_staff, session_client
from tests.support.inspect import fetch_all
from triage import load_ruleset

DESIGN_TIP = "yamba ka feere Kalaban coura ce soir"


async def _hits(settings: Settings, tip: Tip) -> list[tuple[str, tuple[str, ...]]]:
    engine = create_engine(settings.resolved_database_url, settings)
    try:
        async with create_sessionmaker(engine)() as session:
            decision = await latest_decision(session=session, tip_id=tip.id)
    finally:
        await engine.dispose()
    assert decision is not None
    keyring = load_keyring(settings.resolved_keyring_path)
    return [(hit.rule, hit.words) for hit in decision_hits(keyring, decision)]


async def test_the_tip_page_shows_the_conversation_the_rules_and_words_and_the_pseudonym(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    sender = new_sender()
    tip = await received_tip(app, client, settings.resolved_database_url, DESIGN_TIP, sender)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)

    async with session_client(app, settings, officer) as http:
        page = await http.get(f"/console/signalements/{tip.id}")
        api = (await http.get(f"/api/v1/tips/{tip.id}")).json()

    assert page.status_code == 200
    text = html.unescape(page.text)
    [reporter] = await fetch_all(settings.resolved_database_url, select(Reporter))
    assert DESIGN_TIP in text
    assert reporter.pseudonym in text
    hits = await _hits(settings, tip)
    assert hits, "the design's example fires at least one rule"
    rules = load_ruleset()
    for rule, words in hits:
        # The officer reads the rules file's sentence, not the rule's id.
        assert rules.explain(rule) in text
        assert f">{rule}<" not in text
        assert all(f"<mark>{word}</mark>" in text for word in words)
    explained = [
        (hit["rule"], hit["explanation"], tuple(hit["words"])) for hit in api["triage"]["hits"]
    ]
    assert explained == [(rule, rules.explain(rule), words) for rule, words in hits]
    english = [hit["explanation_en"] for hit in api["triage"]["hits"]]
    assert english == [rules.explain(rule, "en") for rule, _ in hits]
    assert sender.removeprefix("+")[-8:] not in text


async def test_html_sent_by_a_reporter_is_shown_as_text_never_run(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    body = '<script>alert("x")</script><img src=x onerror=alert(1)> yamba Banconi'
    tip = await received_tip(app, client, settings.resolved_database_url, body)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)

    async with session_client(app, settings, officer) as http:
        page = await http.get(f"/console/signalements/{tip.id}")

    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert "<script>alert" not in page.text
    assert "<img src=x" not in page.text


async def test_the_source_shows_its_past_tips_with_their_outcomes(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    sender = new_sender()
    first = await received_tip(app, client, url, DESIGN_TIP, sender)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")
    async with session_client(app, settings, officer) as http:
        case = await routed_case(http, first, "BKO-RD")
    async with session_client(app, settings, chief) as http:
        seizure = {"kind": "saisie", "substance": "cannabis", "quantity": 12, "unit": "kg"}
        assert (await http.post(f"/api/v1/cases/{case['id']}/outcomes", json=seizure)).is_success
        closed = await http.post(f"/api/v1/cases/{case['id']}/status", json={"status": "clos"})
        assert closed.is_success
    # The first tip is closed, so the same number's next SMS opens a new tip.
    second = await received_tip(app, client, url, "encore du kush à Banconi", sender)
    assert second.id != first.id

    async with session_client(app, settings, officer) as http:
        detail = (await http.get(f"/api/v1/tips/{second.id}")).json()
        page = await http.get(f"/console/signalements/{second.id}")

    [past] = detail["source"]["past_tips"]
    assert past["reference"] == first.reference
    assert past["outcomes"] == ["saisie"]
    assert past["case_status"] == "clos"
    assert first.reference in page.text
    assert "Saisie" in page.text


async def test_a_prolific_sources_latest_past_tips_are_listed_and_all_are_counted(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    tip = await received_tip(app, client, url, DESIGN_TIP, new_sender())
    assert tip.reporter_id is not None
    earlier = await add_backlog(
        url,
        count=30,
        priority="P3",
        newest=tip.received_at - timedelta(hours=1),
        status=TipStatus.CLOSED,
        reporter_id=tip.reporter_id,
    )

    async with session_client(app, settings, officer) as http:
        source = (await http.get(f"/api/v1/tips/{tip.id}")).json()["source"]
        page = await http.get(f"/console/signalements/{tip.id}")

    listed = [past["tip_id"] for past in source["past_tips"]]
    assert listed == [str(one) for one in reversed(earlier[-20:])]
    assert source["past_count"] == 30
    assert "Les 20 plus récents de ses 30 autres signalements." in page.text


async def test_a_source_of_years_is_counted_up_to_a_limit(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    tip = await received_tip(app, client, url, DESIGN_TIP, new_sender())
    assert tip.reporter_id is not None
    await add_backlog(
        url,
        count=PAST_COUNT_LIMIT + 1,
        priority="P3",
        newest=tip.received_at - timedelta(hours=1),
        status=TipStatus.CLOSED,
        reporter_id=tip.reporter_id,
    )

    async with session_client(app, settings, officer) as http:
        source = (await http.get(f"/api/v1/tips/{tip.id}")).json()["source"]
        page = await http.get(f"/console/signalements/{tip.id}")

    assert (source["past_count"], source["past_count_is_floor"]) == (PAST_COUNT_LIMIT, True)
    assert "Les 20 plus récents de ses plus de 1\u202f000 autres signalements." in page.text


async def test_possible_duplicates_are_listed_on_both_tips(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    earlier = await received_tip(app, client, url, "50 kg de cannabis stockés à Sabalibougou")
    later = await received_tip(app, client, url, "50 kg de cannabis stockés à Sabalibougou !")
    links = await fetch_all(url, select(DuplicateLink).where(col(DuplicateLink.tip_id) == later.id))
    assert [link.other_tip_id for link in links] == [earlier.id]
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)

    async with session_client(app, settings, officer) as http:
        on_later = (await http.get(f"/api/v1/tips/{later.id}")).json()["duplicates"]
        on_earlier = (await http.get(f"/api/v1/tips/{earlier.id}")).json()["duplicates"]

    assert [d["reference"] for d in on_later] == [earlier.reference]
    assert [d["reference"] for d in on_earlier] == [later.reference]


async def test_every_view_of_a_tip_is_in_the_audit_trail(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    tip = await received_tip(app, client, url, DESIGN_TIP)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)

    async with session_client(app, settings, officer) as http:
        await http.get(f"/console/signalements/{tip.id}")
        await http.get(f"/api/v1/tips/{tip.id}")

    views = await fetch_all(url, select(AuditEntry).where(col(AuditEntry.action) == "tip.viewed"))
    assert [(v.actor_username, v.target) for v in views] == [
        (officer.username, f"tip:{tip.reference}")
    ] * 2


async def test_an_unknown_tip_is_404_on_the_page_and_in_the_api(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    missing = "4f1c2a0e-0000-4000-8000-000000000000"

    async with session_client(app, settings, officer) as http:
        page = await http.get(f"/console/signalements/{missing}")
        api = await http.get(f"/api/v1/tips/{missing}")

    assert (page.status_code, api.status_code) == (404, 404)
    assert api.json()["error"] == "tip_not_found"


async def test_a_tip_still_in_triage_shows_that_triage_has_not_run(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    # The in-process queue is stopped, so the tip stays as intake stored it.
    await app.state.runtime.queue.close()
    reference = await send_sms(client, sender=new_sender(), body=DESIGN_TIP)
    tip = await tip_of(settings.resolved_database_url, reference)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)

    async with session_client(app, settings, officer) as http:
        detail = (await http.get(f"/api/v1/tips/{tip.id}")).json()

    assert detail["status"] == "received"
    assert detail["triage"]["category"] is None
    assert detail["triage"]["hits"] == []
    assert [m["text"] for m in detail["conversation"]] == [DESIGN_TIP]
