"""In a real browser (Debian chromium): first sign-in with TOTP enrolment, administration, and the
auditor reading the trail — without one blocked resource or content-security-policy violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from service.models import Role
from tests.conftest import make_settings
from tests.support.console import (
    StaffAccount,
    browser_sign_in,
    chromium,
    create_staff,
    free_port,
    live_server,
    record_console_errors,
)

pytestmark = pytest.mark.browser
NEW_PASSWORD = "une phrase de passe toute neuve"


async def _first_sign_in(page: Page, base_url: str, account: StaffAccount) -> None:
    await page.goto(f"{base_url}/console/connexion")
    await page.fill("#username", account.username)
    await page.fill("#password", account.password)
    await page.click("button[type=submit]")
    assert page.url == f"{base_url}/console/connexion/enrolement"
    # The click returns once the page commits, maybe before it is parsed: a count would not wait.
    await expect(page.locator(".qr svg path")).to_have_count(1)
    secret = await page.text_content("#totp-secret") or ""
    await page.reload()  # coming back to the page offers the same secret
    assert await page.text_content("#totp-secret") == secret
    account.totp_secret = secret.replace(" ", "")
    await page.fill("#code", account.next_code())
    await page.click("form[action='/console/connexion/enrolement'] button[type=submit]")
    assert page.url == f"{base_url}/console/mot-de-passe"
    await page.fill("#new_password", NEW_PASSWORD)
    await page.fill("#confirmation", NEW_PASSWORD)
    await page.click("form[action='/console/mot-de-passe'] button[type=submit]")
    assert page.url == f"{base_url}/console?mot_de_passe=change"


async def _create_auditor(page: Page) -> str:
    await page.click("nav >> text=Utilisateurs")
    form = "form[action='/console/admin/utilisateurs']"
    await page.fill(f"{form} input[name=username]", "auditrice")
    await page.select_option(f"{form} select[name=role]", "auditor")
    await page.click("text=Créer le compte")
    return (await page.text_content("#one-time-password") or "").strip()


async def test_sign_in_with_totp_then_create_an_auditor_who_reads_the_trail(
    tmp_path: Path, database_url: str
) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(tmp_path, database_url, public_base_url=base)
    admin = await create_staff(settings, role=Role.ADMIN, enrolled=False, must_change_password=True)
    problems: list[str] = []

    async with live_server(settings) as base_url, chromium() as browser:
        page = await (await browser.new_context()).new_page()
        record_console_errors(page, problems)
        await _first_sign_in(page, base_url, admin)
        one_time = await _create_auditor(page)
        await page.click("text=Se déconnecter")
        signed_out_at = page.url

        auditor = StaffAccount(admin.id, "auditrice", Role.AUDITOR, None, one_time, None)
        other = await (await browser.new_context()).new_page()
        record_console_errors(other, problems)
        await browser_sign_in(other, base_url, auditor)
        await other.click("nav >> text=Journal d'audit")
        trail = await other.text_content("table") or ""
        nav = await other.text_content("nav") or ""
        problems_before_refusal = list(problems)
        refused = await other.goto(f"{base_url}/console/admin/utilisateurs")

    assert one_time
    assert signed_out_at == f"{base_url}/console/connexion"
    for action in ("Double authentification activée", "Compte créé", "Déconnexion", "Connexion"):
        assert action in trail
    assert admin.username in trail
    assert "Utilisateurs" not in nav
    assert refused is not None
    assert refused.status == 403
    assert problems_before_refusal == []
