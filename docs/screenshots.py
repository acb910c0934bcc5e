"""The README's console screenshots, taken from a live server in Debian's chromium.

Run from the repository's root: ``python docs/screenshots.py``. It starts the service on an
embedded SQLite database in a temporary folder, sends a few tips as signed SMS, has a duty officer
route them and a chief record a seizure, then photographs the queue and a tip (desktop), a case
on a 390 px phone, and the dashboard, into ``docs/screenshots/``. The texts are invented; nothing
leaves the machine.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.async_api import Browser, Page  # noqa: E402

from service.antennas.defaults import seed_antennas  # noqa: E402
from service.core.db import create_engine, create_sessionmaker, transaction  # noqa: E402
from service.core.migrate import upgrade_to_head  # noqa: E402
from service.models import Role  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.browser_tips import api_as, phone_page, route, send_tip  # noqa: E402
from tests.support.console import (  # noqa: E402
    browser_sign_in,
    chromium,
    create_staff,
    free_port,
    live_server,
)

OUT = ROOT / "docs" / "screenshots"
TIPS = (
    "3 sacs de cannabis cachés dans un camion au poste de Zégoua cette nuit",
    "un gendarme vend du yamba derrière le marché de Banconi",
    "des faux médicaments vendus au marché de Médine, comprimés sans boîte",
    "cocaïne vendue au grand marché de Ségou le soir",
    "un homme vend du kush aux élèves devant le lycée de Sébénikoro",
    # Left to a duty officer: public agents named, or nowhere to send it.
    "un policier garde la cocaïne au rond-point de Lafiabougou",
    "un douanier laisse passer des comprimés à Kati",
    "mon voisin vend du tramadol la nuit, je ne veux pas donner mon nom",
)
SEIZURES = (
    {"kind": "saisie", "substance": "cannabis", "quantity": 250.5, "unit": "kg"},
    {"kind": "interpellations", "arrests": 2},
)


async def _desktop_page(browser: Browser) -> Page:
    context = await browser.new_context(viewport={"width": 1280, "height": 860})
    return await context.new_page()


async def _prepared(database_url: str) -> None:
    """Migrated and holding the antennas of the reference, as `tipline serve` leaves it."""
    await asyncio.to_thread(upgrade_to_head, database_url)
    engine = create_engine(database_url)
    async with transaction(create_sessionmaker(engine)) as session:
        await seed_antennas(session=session)
    await engine.dispose()


async def take(database_url: str, folder: Path) -> None:
    await _prepared(database_url)
    base = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(folder, database_url, public_base_url=base)
    officer = await create_staff(settings, role=Role.DUTY_OFFICER)
    chief = await create_staff(settings, role=Role.ANTENNA_CHIEF, antenna="BKO-RD")
    supervisor = await create_staff(settings, role=Role.SUPERVISOR)
    OUT.mkdir(parents=True, exist_ok=True)
    async with live_server(settings) as base_url, chromium() as browser:
        tips = [await send_tip(settings, base_url, text) for text in TIPS]
        async with api_as(settings, base_url, officer) as http:
            case_id = await route(http, tips[1], "BKO-RD")
        async with api_as(settings, base_url, chief) as http:
            for outcome in SEIZURES:
                answer = await http.post(f"/api/v1/cases/{case_id}/outcomes", json=outcome)
                answer.raise_for_status()

        desk = await _desktop_page(browser)
        await browser_sign_in(desk, base_url, officer)
        await desk.goto(f"{base_url}/console/signalements")
        await desk.screenshot(path=OUT / "queue.png", full_page=True)
        await desk.goto(f"{base_url}/console/signalements/{tips[0].id}")
        await desk.screenshot(path=OUT / "tip.png", full_page=True)

        phone = await phone_page(browser)
        await browser_sign_in(phone, base_url, chief)
        await phone.goto(f"{base_url}/console/dossiers/{case_id}")
        await phone.screenshot(path=OUT / "case-phone.png", full_page=True)

        board = await _desktop_page(browser)
        await browser_sign_in(board, base_url, supervisor)
        await board.goto(f"{base_url}/console/tableau-de-bord")
        await board.screenshot(path=OUT / "dashboard.png", full_page=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(take(f"sqlite+aiosqlite:///{folder}/tipline.db", Path(folder)))
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
