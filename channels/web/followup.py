"""``/suivi``: with reference + receipt code, a citizen reads officers' questions and answers them.

A wrong code, a malformed reference and an unknown reference get exactly the same answer, after
the same Argon2 work and the same growing delay; past the limits (per client, then per reference:
see ``channels.web.attempts``) every attempt is refused alike.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from channels.ports import IncomingMessage, IntakePort, Mailbox, MailboxPort
from channels.twilio_webhook import intake_port
from channels.web.form import MAX_REPORT_CHARS
from channels.web.pages import Browser, WebConfig, browser_of, now, render, web_config
from channels.web.tokens import ACCESS_FIELD, TOKEN_FIELD
from channels.web.uploads import read_form, text_field
from crypto import normalise_reference

router = APIRouter(tags=["web"], include_in_schema=False)

OPEN = "follow"
ANSWER = "answer"
_FIELD_BYTES = 64 * 1024


def mailbox_port(request: Request) -> MailboxPort:
    mailbox: MailboxPort = request.app.state.mailbox
    return mailbox


Config = Annotated[WebConfig, Depends(web_config)]
Mailboxes = Annotated[MailboxPort, Depends(mailbox_port)]
Intake = Annotated[IntakePort, Depends(intake_port)]


@router.get("/suivi", response_class=HTMLResponse)
async def follow_up_form(request: Request, config: Config) -> HTMLResponse:
    return _login_page(request, config, browser_of(request))


@router.post("/suivi", response_class=HTMLResponse)
async def open_mailbox(request: Request, config: Config, mailboxes: Mailboxes) -> HTMLResponse:
    browser = browser_of(request)
    form = await read_form(request, max_bytes=_FIELD_BYTES)
    if _form_id(config, browser, text_field(form, TOKEN_FIELD), OPEN) is None:
        return render(request, "expired.html", {}, browser=browser, status_code=403)
    typed = text_field(form, "reference")[:40]
    counted_as = normalise_reference(typed) or typed.upper()
    # The address is only ever a key in memory (hashed there); never stored, never logged.
    client = request.client.host if request.client else None
    attempt = await config.attempts.claim(reference=counted_as, client=client)
    if not attempt.allowed:
        problem = "web.follow.blocked"
        return _login_page(request, config, browser, problem=problem, status_code=429)
    mailbox = await mailboxes.open(reference=typed, receipt_code=text_field(form, "code"))
    if mailbox is None:
        await asyncio.sleep(config.attempts.failure_delay(attempt))
        problem = "web.follow.wrong"
        return _login_page(request, config, browser, problem=problem, status_code=403)
    await config.attempts.record_success(reference=counted_as, client=client)
    return _mailbox_page(request, config, browser, mailbox)


@router.post("/suivi/message", response_class=HTMLResponse)
async def answer(
    request: Request, config: Config, mailboxes: Mailboxes, intake: Intake
) -> HTMLResponse:
    browser = browser_of(request)
    form = await read_form(request, max_bytes=_FIELD_BYTES)
    form_id = _form_id(config, browser, text_field(form, TOKEN_FIELD), ANSWER)
    if form_id is None:
        return render(request, "expired.html", {}, browser=browser, status_code=403)
    reference = text_field(form, "reference")
    allowed = config.tokens.check_access_token(
        text_field(form, ACCESS_FIELD), nonce=browser.nonce, reference=reference, now=now()
    )
    mailbox = await mailboxes.read(reference=reference) if allowed else None
    if mailbox is None:
        problem = "web.follow.session_over"
        return _login_page(request, config, browser, problem=problem, status_code=403)
    text = text_field(form, "reponse")
    if not text or len(text) > MAX_REPORT_CHARS:
        problem = "web.error.empty" if not text else "web.error.too_long"
        return _mailbox_page(request, config, browser, mailbox, problem=problem, status_code=422)
    await intake.receive(
        IncomingMessage(
            channel="web",
            body=text,
            received_at=now(),
            provider_id=f"web:{form_id}",
            follow_up_of=mailbox.reference,
        )
    )
    refreshed = await mailboxes.read(reference=mailbox.reference) or mailbox
    return _mailbox_page(request, config, browser, refreshed, sent=True)


def _form_id(config: WebConfig, browser: Browser, token: str, purpose: str) -> str | None:
    nonce = None if browser.is_new else browser.nonce
    return config.tokens.check_form_token(token, nonce=nonce, purpose=purpose, now=now())


def _login_page(
    request: Request,
    config: WebConfig,
    browser: Browser,
    *,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    token = config.tokens.form_token(nonce=browser.nonce, purpose=OPEN, now=now())
    context = {"token": token, "problem": problem}
    return render(request, "followup.html", context, browser=browser, status_code=status_code)


def _mailbox_page(
    request: Request,
    config: WebConfig,
    browser: Browser,
    mailbox: Mailbox,
    *,
    problem: str | None = None,
    sent: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    moment = now()
    context = {
        "mailbox": mailbox,
        "token": config.tokens.form_token(nonce=browser.nonce, purpose=ANSWER, now=moment),
        "access": config.tokens.access_token(
            nonce=browser.nonce, reference=mailbox.reference, now=moment
        ),
        "problem": problem,
        "sent": sent,
        "max_chars": MAX_REPORT_CHARS,
    }
    return render(request, "mailbox.html", context, browser=browser, status_code=status_code)
