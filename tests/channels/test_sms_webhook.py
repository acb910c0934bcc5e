"""The SMS/WhatsApp webhook: signed forms become tips once; everything else is refused cleanly."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from crypto import Purpose, open_text
from service.models import Reporter, Tip
from service.settings import Settings
from tests.conftest import make_settings
from tests.support.app import http_client, running_app
from tests.support.inspect import count_rows, fetch_all, raw_rows_text
from tests.support.twilio import signature, sms_form

PATH = "/channels/sms/twilio"
SENDER = "+22376543210"


async def post_sms(
    client: httpx.AsyncClient, form: dict[str, str], **headers: str
) -> httpx.Response:
    signed = {"X-Twilio-Signature": signature(PATH, form)} | headers
    return await client.post(PATH, data=form, headers=signed)


async def test_a_signed_sms_creates_one_tip_and_answers_its_reference(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await post_sms(client, sms_form(sender=SENDER, body="yamba bɛ feere Banconi sisan"))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert "<Response><Message>OCS : signalement enregistré" in response.text
    assert "Anonymat garanti" in response.text
    assert "répondez simplement à ce numéro" in response.text
    tips = await count_rows(settings.resolved_database_url, "tips")
    assert tips == 1


async def test_a_provider_retry_returns_the_same_answer_and_creates_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    form = sms_form(sender=SENDER, body="cocaine stockée à Kati")

    first = await post_sms(client, form)
    retry = await post_sms(client, form)

    assert retry.status_code == 200
    assert retry.text == first.text
    assert await count_rows(settings.resolved_database_url, "tips") == 1
    assert await count_rows(settings.resolved_database_url, "messages") == 1
    # Its triage and its deletion at Twilio, once each.
    assert await count_rows(settings.resolved_database_url, "outbox") == 2


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Twilio-Signature": "forged"}],
    ids=["missing-signature", "forged-signature"],
)
async def test_an_unsigned_or_forged_webhook_is_403_and_stores_nothing(
    client: httpx.AsyncClient, settings: Settings, headers: dict[str, str]
) -> None:
    response = await client.post(PATH, data=sms_form(sender=SENDER, body="test"), headers=headers)

    assert response.status_code == 403
    assert SENDER not in response.text
    assert await count_rows(settings.resolved_database_url, "tips") == 0
    assert await count_rows(settings.resolved_database_url, "reporters") == 0


async def test_a_signature_for_another_body_is_403(client: httpx.AsyncClient) -> None:
    form = sms_form(sender=SENDER, body="original")
    forged = signature(PATH, form)
    form["Body"] = "changed on the way"

    response = await client.post(PATH, data=form, headers={"X-Twilio-Signature": forged})

    assert response.status_code == 403


async def test_a_signed_form_missing_fields_is_422_without_echoing_the_number(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    form = sms_form(sender=SENDER, body="x")
    del form["Body"]

    response = await post_sms(client, form)

    assert response.status_code == 422
    assert "Body" in response.json()["message"]
    assert SENDER not in response.text
    assert await count_rows(settings.resolved_database_url, "tips") == 0


async def test_a_body_over_64_kb_is_413_and_stores_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await post_sms(client, sms_form(sender=SENDER, body="a" * 70_000))

    assert response.status_code == 413
    assert await count_rows(settings.resolved_database_url, "tips") == 0


async def test_a_non_form_body_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        PATH, content=b"{}", headers={"content-type": "application/json", "X-Twilio-Signature": "x"}
    )

    assert response.status_code == 422


async def test_a_second_sms_from_the_same_number_joins_the_same_tip(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    first = await post_sms(client, sms_form(sender=SENDER, body="vente de kush à Faladié"))
    # The same Malian number, written without +223: the blind index must still find it.
    second = await post_sms(client, sms_form(sender="76 54 32 10", body="ce soir vers 22h"))
    other = await post_sms(client, sms_form(sender="+22366000001", body="trafic à Gao"))

    reference = first.text.split("Référence ")[1][:13]
    assert f"complément ajouté au signalement {reference}" in second.text
    assert "signalement enregistré" in other.text
    assert reference not in other.text
    assert await count_rows(settings.resolved_database_url, "tips") == 2
    assert await count_rows(settings.resolved_database_url, "reporters") == 2
    assert await count_rows(settings.resolved_database_url, "messages") == 3


async def test_whatsapp_arrives_through_the_same_webhook(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    response = await post_sms(
        client, sms_form(sender=f"whatsapp:{SENDER}", body="tramadol à Sikasso")
    )

    assert response.status_code == 200
    async with app.state.runtime.sessions() as session:
        tip = (await session.scalars(select(Tip))).one()
    assert tip.channel == "whatsapp"


@pytest.mark.parametrize("keyword", ["STOP", "Arrêt", "arret"])
async def test_stop_destroys_the_identity_and_creates_no_tip(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, keyword: str
) -> None:
    await post_sms(client, sms_form(sender=SENDER, body="herbe vendue au marché de Kita"))

    response = await post_sms(client, sms_form(sender=SENDER, body=keyword))

    assert "vous ne recevrez plus de messages" in response.text
    assert await count_rows(settings.resolved_database_url, "tips") == 1
    async with app.state.runtime.sessions() as session:
        reporter = (await session.scalars(select(Reporter))).one()
    assert reporter.identity_ciphertext is None
    assert reporter.opted_out_at is not None


@pytest.mark.parametrize("keyword", ["AIDE", "help", "Info"])
async def test_help_explains_the_service_and_creates_no_tip(
    client: httpx.AsyncClient, settings: Settings, keyword: str
) -> None:
    response = await post_sms(client, sms_form(sender=SENDER, body=keyword))

    assert "ligne anonyme" in response.text
    assert await count_rows(settings.resolved_database_url, "tips") == 0


async def test_the_number_is_stored_only_encrypted_and_bound_to_its_row(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await post_sms(client, sms_form(sender=SENDER, body="un camion de chanvre à Zégoua"))

    dump = await raw_rows_text(settings.resolved_database_url)
    for needle in (SENDER, SENDER[4:], "chanvre", "SIKASSO"):
        assert needle not in dump
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        reporter = (await session.scalars(select(Reporter))).one()
    assert reporter.identity_ciphertext is not None
    phone = open_text(
        runtime.keyring,
        Purpose.IDENTITY,
        reporter.identity_ciphertext,
        context=f"reporter:{reporter.id}",
    )
    assert phone == SENDER


async def test_twilio_unconfigured_answers_503(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url, twilio_auth_token=None)

    async with running_app(settings) as application, http_client(application) as http:
        response = await post_sms(http, sms_form(sender=SENDER, body="x"))

    assert response.status_code == 503
    assert await count_rows(database_url, "tips") == 0


@pytest.mark.parametrize("sender", ["MTN-Promo", "36000"])
async def test_a_sender_that_is_not_a_phone_number_still_makes_a_tip_without_identity(
    client: httpx.AsyncClient, settings: Settings, sender: str
) -> None:
    # An alphanumeric sender id or a short code: nothing to keep or to answer later, but the
    # text may still be a tip.
    response = await post_sms(client, sms_form(sender=sender, body="yamba bɛ feere Banconi"))

    assert response.status_code == 200
    assert "Référence OCS-" in response.text
    [tip] = await fetch_all(settings.resolved_database_url, select(Tip))
    assert tip.reporter_id is None
    assert await count_rows(settings.resolved_database_url, "reporters") == 0
