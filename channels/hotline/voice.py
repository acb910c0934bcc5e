"""The green number: Twilio Voice webhooks, answered in TwiML.

``/voice`` plays the menu; ``/voice/language`` asks for the message; ``<Record>``'s action
(``/voice/recorded``) files the tip through intake and reads the reference out while the caller
is still on the line; the recording status callback (``/recording``) files it too when the action
never came, and hands the recording to the download job. Both use the CallSid as the provider id,
so a call makes one tip whichever arrives first. A call that leaves no message (``/status``, the
number's call-status webhook; an empty or absent recording) is handed to intake to be deleted at
Twilio. The caller ID is handled exactly like an SMS
sender: encrypted and blind-indexed by intake, never logged.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from channels.hotline.prompts import (
    BAMBARA,
    CALL_STATUS_PATH,
    FRENCH,
    RECORDING_PATH,
    REFERENCE_PATH,
    REPEAT_DIGIT,
    VOICE_PATH,
    HotlineConfig,
    goodbye,
    menu,
    nothing_recorded,
    record,
    reference_read_out,
    tells_of_texts,
)
from channels.ports import IncomingAttachment, IncomingMessage, IntakePort
from channels.senders import phone_sender
from channels.twilio_webhook import intake_port, required, signed_twilio_form

router = APIRouter(tags=["channels"])

_RECORDING_SID = re.compile(r"RE[0-9a-f]{32}")

# What carriers and Twilio put in From when the caller hides their number.
_WITHHELD = frozenset(
    {"anonymous", "restricted", "unknown", "private", "+266696687", "+7378742833", "+2562533"}
)


_CALL_OVER = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


def hotline_config(request: Request) -> HotlineConfig:
    config: HotlineConfig = request.app.state.hotline_config
    return config


TwilioForm = Annotated[dict[str, str], Depends(signed_twilio_form)]
Config = Annotated[HotlineConfig, Depends(hotline_config)]
Intake = Annotated[IntakePort, Depends(intake_port)]


@router.post(VOICE_PATH, response_class=Response)
async def incoming_call(_form: TwilioForm, config: Config) -> Response:
    return twiml(str(menu(config)))


@router.post(f"{VOICE_PATH}/language", response_class=Response)
async def language_chosen(form: TwilioForm, config: Config) -> Response:
    digits = form.get("Digits", "")
    offered = ("", "1", "2") if config.offers_bambara else ("", "1")
    if digits not in offered:
        return twiml(str(menu(config)))
    return twiml(str(record(config, BAMBARA if digits == "2" else FRENCH)))


@router.post(f"{VOICE_PATH}/recorded", response_class=Response)
async def message_recorded(
    form: TwilioForm, config: Config, intake: Intake, lang: str = FRENCH
) -> Response:
    (call_sid,) = required(form, "CallSid")
    language = BAMBARA if lang == BAMBARA else FRENCH
    if not form.get("RecordingSid") or form.get("RecordingDuration", "0") in ("", "0"):
        await intake.forget_call(provider_id=call_sid)
        return twiml(str(nothing_recorded(config, language)))
    sender = caller_id(form)
    receipt = await intake.receive(_recorded_call(form, call_sid, sender=sender, language=language))
    # Only a caller whose number we hold can be texted, and only once told so (and how to
    # refuse): the notice is noted with the call, which lets an officer's question go by SMS.
    notice = sender is not None and tells_of_texts(config, language)
    if notice:
        await intake.note_texts_notice(provider_id=call_sid)
    read_out = reference_read_out(
        config, language, receipt.reference, recording=form["RecordingSid"], texts_notice=notice
    )
    return twiml(str(read_out))


@router.post(REFERENCE_PATH, response_class=Response)
async def reference_again(
    form: TwilioForm, config: Config, intake: Intake, lang: str = FRENCH, recording: str = ""
) -> Response:
    """« Pour réécouter, tapez 1 »: the same call again through intake, which answers a retried
    CallSid with the reference its tip is stored under, so nothing is kept between requests."""
    (call_sid,) = required(form, "CallSid")
    language = BAMBARA if lang == BAMBARA else FRENCH
    sender = caller_id(form)
    notice = sender is not None and tells_of_texts(config, language)
    if form.get("Digits") != REPEAT_DIGIT or not _RECORDING_SID.fullmatch(recording):
        return twiml(str(goodbye(config, language, texts_notice=notice)))
    recorded = _recorded_call(
        form | {"RecordingSid": recording}, call_sid, sender=sender, language=language
    )
    receipt = await intake.receive(recorded)
    read_out = reference_read_out(
        config, language, receipt.reference, recording=recording, again=True, texts_notice=notice
    )
    return twiml(str(read_out))


@router.post(RECORDING_PATH, status_code=204, response_class=Response)
async def recording_status(form: TwilioForm, intake: Intake, lang: str = FRENCH) -> Response:
    call_sid, _recording_sid, status = required(form, "CallSid", "RecordingSid", "RecordingStatus")
    if status == "completed":
        # No caller ID in this callback: if the action never came, the tip has no sender.
        language = BAMBARA if lang == BAMBARA else FRENCH
        await intake.receive(_recorded_call(form, call_sid, sender=None, language=language))
    elif status == "absent":  # silence: nothing to transcribe, nothing to keep at Twilio
        await intake.forget_call(provider_id=call_sid)
    return Response(status_code=204)


@router.post(CALL_STATUS_PATH, status_code=204, response_class=Response)
async def call_status(form: TwilioForm, intake: Intake) -> Response:
    """The call is over. Without a message (hung up in the menu or before the beep) nothing else
    would delete it at Twilio; with one, intake leaves it to the recording job."""
    call_sid, status = required(form, "CallSid", "CallStatus")
    if status in _CALL_OVER:
        await intake.forget_call(provider_id=call_sid)
    return Response(status_code=204)


def caller_id(form: dict[str, str]) -> str | None:
    """The caller's number, or None when withheld or not a phone number."""
    raw = form.get("From", "").strip()
    if not raw or raw.lower() in _WITHHELD:
        return None
    return phone_sender(raw)


def _recorded_call(
    form: dict[str, str], call_sid: str, *, sender: str | None, language: str
) -> IncomingMessage:
    recording = IncomingAttachment(
        source="twilio_recording", content_type="audio/mpeg", provider_sid=form["RecordingSid"]
    )
    return IncomingMessage(
        channel="hotline",
        body="",  # the words are in the recording; an operator types them later
        received_at=datetime.now(UTC),
        provider_id=call_sid,
        sender=sender,
        attachments=(recording,),
        language=language,
    )


def twiml(xml: str) -> Response:
    return Response(content=xml, media_type="application/xml")
