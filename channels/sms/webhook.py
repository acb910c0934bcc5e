"""``POST /channels/sms/twilio``: SMS and WhatsApp through Twilio Messaging, answered in TwiML."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from twilio.twiml.messaging_response import MessagingResponse

from channels.errors import RateLimited
from channels.i18n import translate
from channels.ports import IncomingMessage, IntakePort
from channels.rate_limit import SlidingWindowLimiter
from channels.senders import phone_sender
from channels.sms.keywords import Keyword, keyword_of
from channels.sms.media import any_refused, media_attachments
from channels.twilio_webhook import intake_port, required, signed_twilio_form

router = APIRouter(tags=["channels"])

TwilioForm = Annotated[dict[str, str], Depends(signed_twilio_form)]
Intake = Annotated[IntakePort, Depends(intake_port)]


@router.post("/channels/sms/twilio", response_class=Response)
async def receive_sms(request: Request, form: TwilioForm, intake: Intake) -> Response:
    message_sid, sender, body = required(form, "MessageSid", "From", "Body")
    limiter: SlidingWindowLimiter = request.app.state.sms_sender_limiter
    if not limiter.allow(sender):
        # No TwiML reply: answering a flood would send the flooder one paid SMS per message.
        raise RateLimited()
    phone = phone_sender(sender)
    keyword = keyword_of(body)
    if keyword is Keyword.STOP:
        if phone is not None:  # else no identity was ever kept
            await intake.opt_out(sender=phone)
        return twiml(translate("sms.stopped"))
    if keyword is Keyword.HELP:
        return twiml(translate("sms.help"))
    if not body.strip() and form.get("NumMedia", "0") in ("", "0"):
        return twiml(translate("sms.empty"))
    attachments = media_attachments(form)
    # Only these fields go on: FromCity, FromZip, FromState and the like are dropped here.
    receipt = await intake.receive(
        IncomingMessage(
            channel="whatsapp" if sender.startswith("whatsapp:") else "sms",
            body=body,
            received_at=datetime.now(UTC),
            provider_id=message_sid,
            sender=phone,
            attachments=attachments,
        )
    )
    key = "sms.new_tip" if receipt.new_tip else "sms.follow_up"
    texts = [translate(key, reference=receipt.reference)]
    if any_refused(attachments):
        texts.append(translate("media.refused_type"))
    return twiml(*texts)


def twiml(*texts: str) -> Response:
    reply = MessagingResponse()
    for text in texts:
        reply.message(text)
    return Response(content=str(reply), media_type="application/xml")
