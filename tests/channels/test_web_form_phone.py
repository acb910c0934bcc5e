"""The form on a phone (issue 18, item 12): on a 390 by 844 screen the privacy note is folded
(a <details> the citizen may open) so that the text box is on the first screen; the note is
all there once opened, and the page needs no script."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.support.browser_tips import fits_the_width, phone_page
from tests.support.console import chromium, free_port, live_server

pytestmark = pytest.mark.browser


async def test_on_a_phone_the_text_box_is_on_the_first_screen(
    tmp_path: Path, database_url: str
) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    settings = make_settings(tmp_path, database_url, public_base_url=base)
    async with live_server(settings) as base_url, chromium() as browser:
        page = await phone_page(browser)
        await page.context.set_extra_http_headers({"Accept-Language": "fr"})
        await page.goto(f"{base_url}/")
        box = await page.locator("#recit").bounding_box()
        height = await page.evaluate("window.innerHeight")
        folded = not await page.locator(".kept p").first.is_visible()
        fits = await fits_the_width(page)
        await page.click(".kept summary")
        unfolded = await page.locator(".kept p").first.is_visible()

    assert box is not None
    assert box["y"] + 40 < height  # the text box starts, with room to type, on the first screen
    assert folded
    assert unfolded
    assert fits
