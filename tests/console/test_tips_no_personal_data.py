"""No casework page or API response carries a phone number or a receipt code — whatever the
role, whatever the route (taken from the route table), errors included."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from channels.ports import IncomingMessage
from crypto import new_receipt_code
from service.access.permissions import ROUTE_RULES
from service.casework.jobs import escalate_overdue_cases
from service.models import Role
from service.settings import Settings
from tests.support.casework import received_tip, routed_case, settle, tip_of
from tests.support.console import create_staff, session_client

SMS_SENDER = "+22376543219"
WHATSAPP_SENDER = "whatsapp:+22365432198"
CHIEF_PHONE = "+22390112233"

# Every casework page and API read: the queue, tips, cases, dashboard and chiefs' alert phone.
_CASEWORK_PREFIXES = (
    "/console/signalements",
    "/console/dossiers",
    "/console/alerte-sms",
    "/console/tableau-de-bord",
    "/api/v1/queue",
    "/api/v1/tips",
    "/api/v1/cases",
    "/api/v1/dashboard",
    "/api/v1/alert-phone",
)
# A voicemail's audio is the caller's recording itself, served only to those who may hear it
# (tests/voicemails); a photo or voice note is the reporter's file (tests/console/
# test_tip_files.py); these tips have none.
CASEWORK_ROUTES = {
    route: roles
    for route, roles in ROUTE_RULES.items()
    if route[1].startswith(_CASEWORK_PREFIXES)
    and not any(name in route[1] for name in ("{message_id}", "{file_id}", "{attachment_id}"))
}


def number_forms(number: str) -> list[str]:
    """How a number could show: E.164, without "+", national, and split in pairs."""
    e164 = number.removeprefix("whatsapp:")
    national = e164[-8:]
    pairs = " ".join(national[i : i + 2] for i in range(0, 8, 2))
    return [e164, e164.removeprefix("+"), national, pairs]


async def test_no_page_or_api_response_carries_a_number_or_a_receipt_code(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, captured_logs: io.StringIO
) -> None:
    url = settings.resolved_database_url
    sms_tip = await received_tip(app, client, url, "yamba ka feere Kalaban coura", SMS_SENDER)
    # The reporter writes their own number in the text: that is content, shown as they wrote it,
    # so this test's numbers are never typed into a message.
    whatsapp_tip = await received_tip(app, client, url, "cocaïne à Ségou", WHATSAPP_SENDER)
    receipt_code = new_receipt_code()
    receipt = await app.state.intake.receive(
        IncomingMessage(
            channel="web",
            body="tramadol vendu devant le lycée de Kati",
            received_at=datetime.now(UTC),
            receipt_code=receipt_code,
        )
    )
    await settle(app)
    web_tip = await tip_of(url, receipt.reference)

    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    supervisor = await create_staff(settings, role=Role.SUPERVISOR)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="SEG")
    async with session_client(app, settings, officer) as http:
        case = await routed_case(http, whatsapp_tip, "SEG")
        for tip in (sms_tip, whatsapp_tip, web_tip):
            await http.post(f"/api/v1/tips/{tip.id}/questions", json={"text": "Quand ?"})
            await http.post(f"/api/v1/tips/{tip.id}/notes", json={"text": "à suivre"})
    async with session_client(app, settings, chief) as http:
        await http.put("/api/v1/alert-phone", json={"phone": CHIEF_PHONE})
        await http.post(f"/api/v1/cases/{case['id']}/outcomes", json={"kind": "sans_suite"})
    deadline = datetime.fromisoformat(case["ack_deadline"])
    await escalate_overdue_cases(
        {"runtime": app.state.runtime, "clock": lambda: deadline + timedelta(minutes=1)}
    )

    bodies: dict[str, str] = {}
    accounts = {Role.DUTY_OFFICER: officer, Role.SUPERVISOR: supervisor, Role.ANTENNA_CHIEF: chief}
    for role, account in accounts.items():
        async with session_client(app, settings, account) as http:
            for (method, path), roles in sorted(CASEWORK_ROUTES.items()):
                if method != "GET" or role not in roles:
                    continue
                tip_ids = [sms_tip.id, whatsapp_tip.id, web_tip.id] if "{tip_id}" in path else [""]
                for tip_id in tip_ids:
                    target = path.replace("{tip_id}", str(tip_id))
                    target = target.replace("{case_id}", case["id"])
                    response = await http.get(target)
                    assert response.status_code == 200, (role, target, response.status_code)
                    bodies[f"{role} {target}"] = response.text
            bodies[f"{role} error"] = (await http.get("/api/v1/cases/not-an-id")).text
    assert len(bodies) >= 15

    needles = [
        *number_forms(SMS_SENDER),
        *number_forms(WHATSAPP_SENDER),
        *number_forms(CHIEF_PHONE),
        receipt_code,
        receipt_code.replace("-", ""),
    ]
    found = [
        (needle, where) for where, body in bodies.items() for needle in needles if needle in body
    ]
    assert found == []
    logs = captured_logs.getvalue()
    assert [needle for needle in needles if needle in logs] == []
