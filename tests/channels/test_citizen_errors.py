"""A citizen's browser never meets JSON: an old link, a reload of an answer, a damaged form or an
outage each get a French page with the way back; machines (API, webhooks) keep their JSON."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from crypto import new_reference
from service.core.db import create_engine
from tests.support.channel_fixtures import citizen_client
from tests.support.databases import TEST_LIMITS
from tests.support.inspect import count_rows

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _a_french_page(response: httpx.Response, title: str) -> None:
    assert response.headers["content-type"].startswith("text/html")
    assert f'<h1 id="error-title">{title}' in response.text
    assert 'href="/suivi"' in response.text
    assert '"error"' not in response.text


async def test_an_old_link_and_a_reload_of_an_answer_get_a_french_page(
    channel_client: httpx.AsyncClient,
) -> None:
    unknown = await channel_client.get("/signaler-ancien-lien", headers=HTML)
    reloaded = await channel_client.get("/suivi/message", headers=HTML)

    assert unknown.status_code == 404
    _a_french_page(unknown, "Page introuvable")
    assert reloaded.status_code == 405
    _a_french_page(reloaded, "Page introuvable")


async def test_a_damaged_form_gets_a_french_page_and_stores_nothing(
    channel_client: httpx.AsyncClient, database_url: str
) -> None:
    response = await channel_client.post(
        "/", content=b"recit=yamba", headers={**HTML, "Content-Type": "multipart/form-data"}
    )

    assert response.status_code == 422
    _a_french_page(response, "Formulaire incomplet")
    assert await count_rows(database_url, "tips") == 0


async def test_machines_keep_their_json(channel_client: httpx.AsyncClient) -> None:
    api = await channel_client.get("/api/v1/nope", headers=HTML)
    webhook = await channel_client.get("/channels/sms/twilio", headers=HTML)
    plain = await channel_client.get("/signaler-ancien-lien")

    for response in (api, webhook, plain):
        assert response.headers["content-type"].startswith("application/json")
        assert "error" in response.json()


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite: the outage below is made by dropping a table, as a broken database would be."""
    from tests.support import databases

    return databases.sqlite_copy(sqlite_template, tmp_path)


async def test_an_outage_on_the_follow_up_page_gets_a_french_page_with_retry_after(
    channel_app: FastAPI, database_url: str
) -> None:
    engine = create_engine(database_url, TEST_LIMITS)
    async with engine.begin() as connection:
        await connection.execute(text("DROP TABLE tips"))
    await engine.dispose()
    async with citizen_client(channel_app) as client:
        page = await client.get("/suivi", headers=HTML)
        token = page.text.split('name="jeton" value="')[1].split('"')[0]
        response = await client.post(
            "/suivi",
            data={"jeton": token, "reference": new_reference(), "code": "ABCD-EFGH"},
            headers=HTML,
        )

    assert response.status_code == 503
    assert response.headers["retry-after"]
    _a_french_page(response, "Service momentanément indisponible")
