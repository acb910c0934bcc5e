"""The tips-received metric counts tips (issue 18, item 13): not Twilio's retries of one
message, not a web form submitted twice, not a second SMS joining its conversation."""

from __future__ import annotations

import httpx
from prometheus_client import REGISTRY

from tests.channels.test_web_form import submit, token_of
from tests.support.casework import new_sender, post_sms
from tests.support.twilio import new_message_sid, signature, sms_form

PATH = "/channels/sms/twilio"


def _received(channel: str) -> float:
    value = REGISTRY.get_sample_value("tipline_tips_received_total", {"channel": channel})
    return value or 0.0


async def test_twilio_retries_and_follow_ups_are_not_new_tips(client: httpx.AsyncClient) -> None:
    before = _received("sms")
    sender = new_sender()
    form = sms_form(sender=sender, body="yamba à Banconi", message_sid=new_message_sid())
    headers = {"X-Twilio-Signature": signature(PATH, form)}
    for _ in range(3):  # Twilio retries a webhook it thinks failed, with the same MessageSid
        assert (await client.post(PATH, data=form, headers=headers)).status_code == 200
    await post_sms(client, sender=sender, body="ils sont encore là")  # joins the same tip

    assert _received("sms") - before == 1


async def test_a_web_form_submitted_twice_is_one_tip(channel_client: httpx.AsyncClient) -> None:
    before = _received("web")
    token = token_of((await channel_client.get("/")).text)
    await submit(channel_client, token)
    await submit(channel_client, token)

    assert _received("web") - before == 1
