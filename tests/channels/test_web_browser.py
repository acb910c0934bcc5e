"""A citizen in a real browser (Debian chromium), with and without JavaScript: reports with a
photo, keeps the reference and code, reads the officer's question and answers it — and nothing
they typed, nor their code or address, is left readable in the database or the logs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Page, Request, expect
from sqlalchemy import select
from sqlmodel import col

from crypto import load_keyring
from service.core.db import create_engine, create_sessionmaker, transaction
from service.models import Attachment, Tip
from service.reporters.replies import queue_reply
from service.settings import Settings
from tests.conftest import make_settings
from tests.support.console import chromium, free_port, live_server
from tests.support.inspect import count_rows, fetch_all, raw_rows_text

pytestmark = pytest.mark.browser

STORY = "Deux hommes déchargent des sacs de chanvre dans le garage vert près du marché de Niono."
ANSWER = "Le garage appartient au frère du boutiquier, ils reviennent vendredi."
QUESTION = "Merci. Combien de sacs environ ?"


def photo(directory: Path) -> Path:
    image = Image.new("RGB", (40, 30), (90, 90, 200))
    exif = Image.Exif()
    exif[0x010F] = "BrowserPhoneModel"
    exif[0x8825] = {1: "N", 2: (14.0, 17.0, 0.0), 3: "W", 4: (5.0, 59.0, 0.0)}
    path = directory / "IMG_2031.jpg"
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif.tobytes())
    path.write_bytes(output.getvalue())
    return path


async def officer_asks(settings: Settings, reference: str) -> None:
    """What the console does when a duty officer writes to the tip's reporter."""
    engine = create_engine(settings.resolved_database_url, settings)
    keyring = load_keyring(settings.resolved_keyring_path)
    async with transaction(create_sessionmaker(engine)) as session:
        tip = (await session.scalars(select(Tip).where(col(Tip.reference) == reference))).one()
        queue_reply(session=session, keyring=keyring, tip=tip, body=QUESTION)
    await engine.dispose()


async def report(page: Page, base: str, picture: Path) -> tuple[str, str]:
    await page.goto(f"{base}/")
    assert await page.title() == "Signaler anonymement — OCS"
    await page.fill("#recit", STORY)
    await page.select_option("#lieu", "Niono, Ségou")
    await page.fill("#lieu_precis", "près du marché")
    await page.select_option("#quand", "maintenant")
    await page.set_input_files("#photo", str(picture))
    await page.click("button[type=submit]")
    # The click only starts the form's navigation: wait for the receipt before reading it.
    await expect(page).to_have_title("Signalement reçu, merci — OCS")
    reference = (await page.text_content("#reference") or "").strip()
    code = (await page.text_content("#code-de-suivi") or "").strip()
    return reference, code


async def follow_up(page: Page, base: str, reference: str, code: str) -> None:
    await page.goto(f"{base}/suivi")
    await page.fill("#reference", reference)
    await page.fill("#code", code)
    await page.click("button[type=submit]")


@pytest.mark.parametrize("javascript", [False, True], ids=["javascript-off", "javascript-on"])
async def test_a_citizen_reports_then_answers_the_officer_in_a_browser(
    tmp_path: Path, database_url: str, captured_logs: io.StringIO, javascript: bool
) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(tmp_path, database_url, public_base_url=base)
    requested: list[str] = []
    log_start = captured_logs.tell()

    async with live_server(settings), chromium() as browser:
        context = await browser.new_context(java_script_enabled=javascript)
        page = await context.new_page()

        def remember(request: Request) -> None:
            requested.append(request.url)

        page.on("request", remember)
        reference, code = await report(page, base, photo(tmp_path))
        await officer_asks(settings, reference)
        await follow_up(page, base, reference, code)
        assert QUESTION in (await page.text_content("ol.thread") or "")
        await page.fill("#reponse", ANSWER)
        await page.click("button[type=submit]")
        await expect(page.locator("body")).to_contain_text("Votre réponse a été transmise")
        assert ANSWER in (await page.text_content("ol.thread") or "")
        # Reloading after answering lands on the mailbox again, not on "Method Not Allowed".
        reloaded = await page.reload()
        assert reloaded is not None
        assert reloaded.status == 200
        assert ANSWER in (await page.text_content("ol.thread") or "")
        # An old or mistyped link gets a French page with the way back, never JSON.
        missing = await page.goto(f"{base}/suivi/ancien-lien")
        assert missing is not None
        assert missing.status == 404
        assert "text/html" in (missing.headers.get("content-type") or "")
        assert await page.locator("a[href='/suivi']").count() >= 1
        await follow_up(page, base, reference, "2345-6789")
        await expect(page.locator("body")).to_contain_text("Référence ou code de suivi incorrect.")
        await context.close()

    assert requested
    assert all(url.startswith(base + "/") for url in requested)  # nothing from another site
    assert await count_rows(settings.resolved_database_url, "tips") == 1
    assert await count_rows(settings.resolved_database_url, "messages") == 3
    [attachment] = await fetch_all(settings.resolved_database_url, select(Attachment))
    assert attachment.content_ciphertext is not None
    dump = await raw_rows_text(settings.resolved_database_url)
    logs = captured_logs.getvalue()[log_start:]
    for needle in (code, code.replace("-", ""), "chanvre", "garage vert", "boutiquier"):
        assert needle not in dump
        assert needle not in logs
    assert "BrowserPhoneModel" not in dump
    assert "127.0.0.1" not in dump
    assert "127.0.0.1" not in logs.replace(f"Uvicorn running on {base}", "")
