"""``POST /channels/sms/twilio/status``: Twilio's status callbacks for the replies we sent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from channels.ports import DeliveryPort
from channels.twilio_webhook import required, signed_twilio_form

router = APIRouter(tags=["channels"])


async def delivery_port(request: Request) -> DeliveryPort:
    deliveries: DeliveryPort = request.app.state.deliveries
    return deliveries


TwilioForm = Annotated[dict[str, str], Depends(signed_twilio_form)]
Deliveries = Annotated[DeliveryPort, Depends(delivery_port)]


@router.post("/channels/sms/twilio/status", status_code=204, response_class=Response)
async def receive_status(form: TwilioForm, deliveries: Deliveries) -> Response:
    # The callback also carries "To", the reporter's number: it is read by nobody.
    message_sid, status = required(form, "MessageSid", "MessageStatus")
    await deliveries.record_delivery(
        provider_id=message_sid, status=status, error_code=form.get("ErrorCode") or None
    )
    return Response(status_code=204)
