"""What a duty officer does with a tip: claim, correct beside the decision, route, merge, close,
ask the reporter, note, grade — each audited, each refused cleanly when it cannot apply."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from service.models import (
    AuditEntry,
    Case,
    ChiefAlert,
    Direction,
    InternalNote,
    Message,
    OutboxEntry,
    Role,
    Tip,
    TipStatus,
    TriageCorrection,
    TriageDecision,
)
from service.settings import Settings
from tests.support.casework import new_sender, post_sms, received_tip, routed_case, tip_of
from tests.support.console import create_staff, session_client
from tests.support.databases import TEST_LIMITS
from tests.support.inspect import count_rows, fetch_all, raw_rows_text

DESIGN_TIP = "yamba ka feere Kalaban coura ce soir"


async def _actions(url: str) -> list[str]:
    entries = await fetch_all(url, select(AuditEntry).order_by(col(AuditEntry.sequence)))
    return [entry.action for entry in entries if entry.action.startswith("tip.")]


async def test_a_claimed_tip_cannot_be_worked_by_another_officer_until_released(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    tip = await received_tip(app, client, settings.resolved_database_url, DESIGN_TIP)
    first = await create_staff(settings, role=Role.DUTY_OFFICER)
    second = await create_staff(settings, role=Role.DUTY_OFFICER)

    async with (
        session_client(app, settings, first) as one,
        session_client(app, settings, second) as two,
    ):
        claimed = await one.post(f"/api/v1/tips/{tip.id}/claim")
        refused_claim = await two.post(f"/api/v1/tips/{tip.id}/claim")
        refused_correction = await two.post(
            f"/api/v1/tips/{tip.id}/corrections", json={"priority": "P4"}
        )
        refused_release = await two.delete(f"/api/v1/tips/{tip.id}/claim")
        released = await one.delete(f"/api/v1/tips/{tip.id}/claim")
        claimed_by_second = await two.post(f"/api/v1/tips/{tip.id}/claim")

    assert claimed.json() == {"tip_id": str(tip.id), "claimed_by": first.username}
    assert (refused_claim.status_code, refused_claim.json()["error"]) == (409, "tip_claimed")
    assert refused_correction.status_code == 409
    assert refused_release.status_code == 409
    assert released.json()["claimed_by"] is None
    assert claimed_by_second.json()["claimed_by"] == second.username
    assert await count_rows(settings.resolved_database_url, "triage_corrections") == 0


async def test_a_supervisor_can_take_back_a_tip_an_officer_left_claimed(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    tip = await received_tip(app, client, settings.resolved_database_url, DESIGN_TIP)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    supervisor = await create_staff(settings, role=Role.SUPERVISOR)

    async with session_client(app, settings, officer) as http:
        await http.post(f"/console/signalements/{tip.id}/prise-en-charge")
    async with session_client(app, settings, supervisor) as http:
        released = await http.post(f"/console/signalements/{tip.id}/liberation")
        page = await http.get(released.headers["location"])

    assert released.status_code == 303
    assert "Personne ne l&#39;a pris en charge." in page.text


async def test_a_correction_is_stored_beside_the_automatic_decision(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    tip = await received_tip(app, client, url, DESIGN_TIP)
    [before] = await fetch_all(url, select(TriageDecision))
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)

    async with session_client(app, settings, officer) as http:
        corrected = await http.post(
            f"/console/signalements/{tip.id}/correction",
            data={"category": "trafic", "priority": "P2", "antenna": ""},
        )
        detail = (await http.get(f"/api/v1/tips/{tip.id}")).json()

    assert corrected.status_code == 303
    [after] = await fetch_all(url, select(TriageDecision))
    assert (after.category, after.priority) == (before.category, before.priority)
    [correction] = await fetch_all(url, select(TriageCorrection))
    assert (correction.category, correction.priority, correction.antenna) == ("trafic", "P2", None)
    assert correction.decision_id == before.id
    assert (detail["triage"]["category"], detail["triage"]["priority"]) == ("trafic", "P2")
    assert detail["triage"]["antenna"] == before.antenna
    assert sorted(detail["triage"]["corrected"]) == ["category", "priority"]
    [entry] = await fetch_all(
        url, select(AuditEntry).where(col(AuditEntry.action) == "tip.corrected")
    )
    assert entry.details_json == (
        f'{{"category":"{before.category} -> trafic","priority":"{before.priority} -> P2"}}'
    )


async def test_an_unknown_category_is_refused_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    tip = await received_tip(app, client, settings.resolved_database_url, DESIGN_TIP)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)

    async with session_client(app, settings, officer) as http:
        refused = await http.post(
            f"/api/v1/tips/{tip.id}/corrections", json={"category": "contrebande"}
        )

    assert (refused.status_code, refused.json()["error"]) == (422, "invalid_choice")
    assert await count_rows(settings.resolved_database_url, "triage_corrections") == 0


async def test_routing_creates_the_case_with_its_deadline_and_alerts_the_chief(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    tip = await received_tip(app, client, url, "bonjour, y a des gens bizarres au marché")
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)

    async with session_client(app, settings, officer) as http:
        await http.post(f"/api/v1/tips/{tip.id}/corrections", json={"priority": "P1"})
        routed = await http.post(
            f"/console/signalements/{tip.id}/transmission", data={"antenna": "SEG"}
        )

    assert routed.status_code == 303
    [case] = await fetch_all(url, select(Case))
    [stored] = await fetch_all(url, select(Tip))
    assert (case.antenna_code, case.routed_by, stored.status) == ("SEG", officer.id, "routed")
    assert case.ack_deadline is not None
    assert case.ack_deadline - case.created_at == timedelta(minutes=15)
    [alert] = await fetch_all(url, select(ChiefAlert))
    assert (alert.antenna_code, alert.reason, alert.case_id) == ("SEG", "routage", case.id)
    jobs = await fetch_all(url, select(col(OutboxEntry.job_name)))
    assert "alert_antenna_chiefs" in jobs
    assert "tip.routed" in await _actions(url)


async def test_a_non_operational_antenna_is_refused(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    tip = await received_tip(app, client, settings.resolved_database_url, DESIGN_TIP)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)

    async with session_client(app, settings, officer) as http:
        refused = await http.post(f"/api/v1/tips/{tip.id}/route", json={"antenna": "KID"})

    assert (refused.status_code, refused.json()["error"]) == (422, "antenna_not_operational")
    [case_antennas] = [
        await fetch_all(settings.resolved_database_url, select(col(Case.antenna_code)))
    ]
    assert "KID" not in case_antennas


async def test_a_duplicate_is_merged_into_the_tip_kept_which_shows_its_messages(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    kept = await received_tip(app, client, url, "50 kg de cannabis stockés à Sabalibougou")
    duplicate = await received_tip(app, client, url, "il y a 50 kg de cannabis à Sabalibougou")
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)

    async with session_client(app, settings, officer) as http:
        merged = await http.post(
            f"/console/signalements/{duplicate.id}/fusion", data={"into": str(kept.id)}
        )
        detail = (await http.get(f"/api/v1/tips/{kept.id}")).json()
        again = await http.post(
            f"/api/v1/tips/{duplicate.id}/merge", json={"into_tip_id": str(kept.id)}
        )

    assert merged.status_code == 303
    assert merged.headers["location"].startswith(f"/console/signalements/{kept.id}")
    closed = await tip_of(url, duplicate.reference)
    assert closed.status == TipStatus.CLOSED
    assert [m["reference"] for m in detail["conversation"]] == [kept.reference, duplicate.reference]
    assert [r["reference"] for r in detail["merged"]] == [duplicate.reference]
    assert again.status_code == 409


async def test_spam_and_out_of_scope_close_the_tip(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    spam = await received_tip(app, client, url, "gagnez 1000000 FCFA cliquez ici")
    off_topic = await received_tip(app, client, url, "on a volé ma moto au marché de Médina")
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)

    async with session_client(app, settings, officer) as http:
        first = await http.post(f"/console/signalements/{spam.id}/cloture", data={"reason": "spam"})
        second = await http.post(
            f"/api/v1/tips/{off_topic.id}/close", json={"reason": "hors_champ"}
        )
        unknown = await http.post(f"/api/v1/tips/{off_topic.id}/close", json={"reason": "boring"})

    assert first.status_code == 303
    assert second.json()["closure_reason"] == "hors_champ"
    assert unknown.status_code == 422
    assert (await tip_of(url, spam.reference)).status == TipStatus.CLOSED
    assert (await tip_of(url, off_topic.reference)).status == TipStatus.CLOSED


async def test_a_case_its_chief_acknowledged_is_theirs_to_close(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    unacknowledged = await received_tip(app, client, url, DESIGN_TIP)
    acknowledged = await received_tip(app, client, url, "cocaïne vendue au grand marché de Ségou")
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="SEG")

    async with session_client(app, settings, officer) as http:
        await routed_case(http, unacknowledged, "BKO-RD")
        case = await routed_case(http, acknowledged, "SEG")
    async with session_client(app, settings, chief) as http:
        assert (await http.post(f"/api/v1/cases/{case['id']}/acknowledge")).is_success
    async with session_client(app, settings, officer) as http:
        closed = await http.post(f"/api/v1/tips/{unacknowledged.id}/close", json={"reason": "spam"})
        refused = await http.post(f"/api/v1/tips/{acknowledged.id}/close", json={"reason": "spam"})

    assert closed.status_code == 200
    assert (refused.status_code, refused.json()["error"]) == (409, "tip_routed")
    cases = {c.tip_id: c.status for c in await fetch_all(url, select(Case))}
    assert cases == {unacknowledged.id: "clos", acknowledged.id: "nouveau"}
    assert (await tip_of(url, acknowledged.reference)).status == TipStatus.ROUTED


async def test_a_question_to_the_reporter_is_stored_sealed_and_queued_for_sending(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    tip = await received_tip(app, client, url, DESIGN_TIP)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    question = "A quelle heure exactement, et devant quelle boutique ?"

    async with session_client(app, settings, officer) as http:
        asked = await http.post(f"/api/v1/tips/{tip.id}/questions", json={"text": question})
        detail = (await http.get(f"/api/v1/tips/{tip.id}")).json()

    assert asked.status_code == 201
    [outbound] = await fetch_all(
        url, select(Message).where(col(Message.direction) == Direction.OUTBOUND)
    )
    assert str(outbound.id) == asked.json()["message_id"]
    assert question not in await raw_rows_text(url)
    assert detail["conversation"][-1]["text"] == question
    assert "send_reply" in await fetch_all(url, select(col(OutboxEntry.job_name)))
    [entry] = await fetch_all(
        url, select(AuditEntry).where(col(AuditEntry.action) == "tip.question_sent")
    )
    assert question not in entry.details_json


async def test_no_question_goes_to_a_reporter_who_opted_out(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    sender = new_sender()
    tip = await received_tip(app, client, url, DESIGN_TIP, sender)
    assert (await post_sms(client, sender=sender, body="STOP")).status_code == 200
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)

    async with session_client(app, settings, officer) as http:
        refused = await http.post(f"/api/v1/tips/{tip.id}/questions", json={"text": "Où ?"})

    assert (refused.status_code, refused.json()["error"]) == (409, "reporter_unreachable")
    outbound = await fetch_all(
        url, select(Message).where(col(Message.direction) == Direction.OUTBOUND)
    )
    assert outbound == []


async def test_an_internal_note_is_sealed_at_rest_and_shown_to_officers(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    url = settings.resolved_database_url
    tip = await received_tip(app, client, url, DESIGN_TIP)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    note = "Même boutique que le dossier de mars, voir avec Rive Droite"

    async with session_client(app, settings, officer) as http:
        added = await http.post(f"/console/signalements/{tip.id}/note", data={"text": note})
        page = await http.get(f"/console/signalements/{tip.id}")

    assert added.status_code == 303
    assert note in page.text
    assert await count_rows(url, "internal_notes") == 1
    [stored] = await fetch_all(url, select(InternalNote))
    assert note.encode() not in stored.body_ciphertext
    assert note not in await raw_rows_text(url)
    assert "tip.note_added" in await _actions(url)


async def test_grading_uses_the_admiralty_scale(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    tip = await received_tip(app, client, settings.resolved_database_url, DESIGN_TIP)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)

    async with session_client(app, settings, officer) as http:
        graded = await http.post(
            f"/console/signalements/{tip.id}/cotation",
            data={"source_reliability": "B", "information_credibility": "2"},
        )
        out_of_scale = await http.post(
            f"/api/v1/tips/{tip.id}/grades",
            json={"source_reliability": "G", "information_credibility": 7},
        )
        detail = (await http.get(f"/api/v1/tips/{tip.id}")).json()

    assert graded.status_code == 303
    assert out_of_scale.status_code == 422
    assert detail["grade"] == "B2"
    assert await count_rows(settings.resolved_database_url, "source_grades") == 1


async def test_retention_can_tombstone_a_tips_notes_without_deleting_them(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    from crypto import load_keyring
    from service.casework.notes import erase_notes, notes_of
    from service.core.db import create_engine, create_sessionmaker, transaction

    url = settings.resolved_database_url
    tip = await received_tip(app, client, url, DESIGN_TIP)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    async with session_client(app, settings, officer) as http:
        await http.post(f"/api/v1/tips/{tip.id}/notes", json={"text": "vu deux fois ce mois"})
    keyring = load_keyring(settings.resolved_keyring_path)

    engine = create_engine(url, TEST_LIMITS)
    async with transaction(create_sessionmaker(engine)) as session:
        erased = await erase_notes(
            session=session, keyring=keyring, tip_id=tip.id, tombstone="[effacé]"
        )
    async with create_sessionmaker(engine)() as session:
        notes = await notes_of(session=session, keyring=keyring, tip_id=tip.id)
    await engine.dispose()

    assert erased == 1
    assert [(n.author, n.text) for n in notes] == [(officer.username, "[effacé]")]
