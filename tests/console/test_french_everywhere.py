"""Words, not codes (issue 18, item 7): every console page, opened as each role that may open
it, shows French only — no catalogue key shown raw (a key missing from fr.json), no English
sentence of en.json; corrections name categories by their French label; numbers are written
the French way (``250,5 kg``)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import httpx
from fastapi import FastAPI

from channels.i18n import LOCALES_DIR
from service.access.permissions import PUBLIC_ROUTES, ROUTE_RULES
from service.models import Role
from service.settings import Settings
from tests.support.casework import received_tip, routed_case
from tests.support.console import create_staff, session_client

TEXTS = (
    "un gendarme vend du yamba derrière le marché de Banconi",
    "un policier garde la cocaïne au rond-point de Lafiabougou",
    "un douanier laisse passer des comprimés à Kati",
)
# A voicemail needs a recording fetched from Twilio: its pages are walked in tests/voicemails,
# and its audio (from the hotline, tip and case pages) is sound, not text; so is a photo or
# voice note the reporter sent (tests/console/test_tip_files.py).
NOT_WALKED = {
    "/console/standard/enregistrements/{message_id}",
    "/console/standard/enregistrements/{message_id}/audio",
    "/console/signalements/{tip_id}/vocal/{message_id}",
    "/console/dossiers/{case_id}/vocal/{message_id}",
    "/console/signalements/{tip_id}/fichiers/{file_id}",
    "/console/dossiers/{case_id}/fichiers/{file_id}",
}
# What a catalogue key looks like when a page shows it instead of its text.
_RAW_KEY = re.compile(r"\b(?:console|audit|web|sms|error|voice|hotline)\.[a-z_]+(?:\.[\w-]+)+")
# …or a code shown in place of its label: an audit action ("tip.closed"), a status or role
# ("sans_suite", "duty_officer").
_RAW_CODE = re.compile(
    r"\b(?:tip|case|staff|reporter|user|antenna)\.[a-z_]+\b|\b[a-z]+(?:_[a-z]+)+\b"
)
_SHOWN_ATTRIBUTES = ("placeholder", "aria-label", "title", "alt", "data-label", "value")


class _ShownText(HTMLParser):
    """The text a reader sees or hears: element text and the attributes shown or read out."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        shows_value = tag == "input" and dict(attrs).get("type") in ("submit", "button")
        for name, value in attrs:
            if value and name in _SHOWN_ATTRIBUTES and (name != "value" or shows_value):
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def shown_text(html: str) -> str:
    parser = _ShownText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_phrases() -> list[re.Pattern[str]]:
    """The English of en.json that a French page must not show: the longest fixed part of each
    text that differs from its French, unless every word of it is French too ("Page", "Date")."""
    english = json.loads((LOCALES_DIR / "en.json").read_text(encoding="utf-8"))
    french = json.loads((LOCALES_DIR / "fr.json").read_text(encoding="utf-8"))
    french_words = {word for text in french.values() for word in _words(text)}
    phrases = set()
    for key, text in english.items():
        if text == french.get(key):
            continue
        longest = max(re.split(r"\{[^}]*\}", text), key=len).strip(" :.,;!?—-()")
        words = _words(longest)
        if len(longest) >= 4 and words and not words <= french_words:
            phrases.add(longest)
    return [re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)") for phrase in sorted(phrases)]


def _words(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[^\W\d_]+", text)}


async def _situation(app: FastAPI, client: httpx.AsyncClient, settings: Settings) -> dict[str, str]:
    """A tip corrected and graded, one closed as spam, one routed with a seizure recorded."""
    url = settings.resolved_database_url
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")
    open_tip, spam, routed = [await received_tip(app, client, url, text) for text in TEXTS]
    async with session_client(app, settings, officer) as http:
        corrected = await http.post(
            f"/api/v1/tips/{open_tip.id}/corrections", json={"category": "trafic"}
        )
        assert corrected.is_success, corrected.text
        await http.post(
            f"/api/v1/tips/{open_tip.id}/grades",
            json={"source_reliability": "B", "information_credibility": 2},
        )
        await http.post(f"/api/v1/tips/{spam.id}/close", json={"reason": "spam"})
        case = await routed_case(http, routed, "BKO-RD")
    async with session_client(app, settings, chief) as http:
        recorded = await http.post(
            f"/api/v1/cases/{case['id']}/outcomes",
            json={"kind": "saisie", "substance": "cannabis", "quantity": 250.5, "unit": "kg"},
        )
        assert recorded.is_success, recorded.text
    return {
        "tip_id": str(open_tip.id),
        "closed_tip_id": str(spam.id),
        "case_id": str(case["id"]),
        "pseudonym_query": "?q=" + routed.reference,
    }


def _urls(template: str, ids: dict[str, str]) -> list[str]:
    """The pages a template stands for, with the variants a reader opens."""
    tip = template.replace("{tip_id}", ids["tip_id"])
    case = template.replace("{case_id}", ids["case_id"])
    variants: dict[str, list[str]] = {
        "/console/signalements": [
            "/console/signalements",
            *(f"/console/signalements?vue={view}" for view in ("en_retard", "clos", "tous")),
            "/console/signalements?vue=mes_signalements",
            "/console/signalements?q=SRC-222222",
            "/console/signalements?q=n%27importe%20quoi",
        ],
        "/console/signalements/{tip_id}": [
            tip,
            template.replace("{tip_id}", ids["closed_tip_id"]),
        ],
        "/console/signalements/{tip_id}/cloture": [
            f"{tip}?reason=spam",
            f"{tip}?reason=hors_champ",
        ],
        "/console/signalements/{tip_id}/fusion": [f"{tip}?into={ids['closed_tip_id']}"],
        "/console/dossiers": ["/console/dossiers", "/console/dossiers?statut=tous"],
        "/console/dossiers/{case_id}": [case],
    }
    return variants.get(template, [template])


async def test_every_console_page_is_in_french_for_every_role(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    ids = await _situation(app, client, settings)
    english = english_phrases()
    problems: list[str] = []
    walked = 0
    for role in Role:
        account = await create_staff(settings, role=role)
        templates = sorted(
            path
            for (method, path), roles in ROUTE_RULES.items()
            if method == "GET"
            and path.startswith("/console")
            and role in roles
            and (method, path) not in PUBLIC_ROUTES
            and path not in NOT_WALKED
        )
        async with session_client(app, settings, account) as http:
            for template in templates:
                for url in _urls(template, ids):
                    response = await http.get(url)
                    walked += 1
                    text = shown_text(response.text)
                    if response.status_code != 200:
                        problems.append(f"{role} {url}: {response.status_code}")
                    problems += [f"{role} {url}: key {key}" for key in _RAW_KEY.findall(text)]
                    problems += [f"{role} {url}: code {code}" for code in _RAW_CODE.findall(text)]
                    problems += [
                        f"{role} {url}: English {p.pattern!r}" for p in english if p.search(text)
                    ]
    assert problems == []
    assert walked >= 30


async def test_corrections_and_quantities_read_as_french(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    ids = await _situation(app, client, settings)
    supervisor = await create_staff(settings, role=Role.SUPERVISOR)
    async with session_client(app, settings, supervisor) as http:
        tip = shown_text((await http.get(f"/console/signalements/{ids['tip_id']}")).text)
        case = shown_text((await http.get(f"/console/dossiers/{ids['case_id']}")).text)

    assert "Catégorie → Trafic" in tip
    assert "→ trafic" not in tip
    assert "250,5 kg — Cannabis" in case
