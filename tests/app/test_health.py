"""Liveness, readiness and metrics, as an operator's monitoring reads them."""

from __future__ import annotations

import httpx

from tests.support.twilio import signature, sms_form

PATH = "/channels/sms/twilio"


async def test_liveness_and_readiness_report_database_and_queue(client: httpx.AsyncClient) -> None:
    live = await client.get("/healthz")
    ready = await client.get("/readyz")

    assert live.json() == {"status": "ok"}
    assert ready.json() == {"status": "ready", "checks": {"database": True, "queue": True}}


async def test_metrics_count_intake_by_channel_and_show_the_queue_without_personal_data(
    client: httpx.AsyncClient,
) -> None:
    form = sms_form(sender="+22376444444", body="yamba à Banconi")
    await client.post(PATH, data=form, headers={"X-Twilio-Signature": signature(PATH, form)})

    metrics = (await client.get("/metrics")).text

    assert 'tipline_tips_received_total{channel="sms"}' in metrics
    assert "tipline_queue_depth" in metrics
    assert "tipline_deadline_misses_total" in metrics
    assert "76444444" not in metrics
