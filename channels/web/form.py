"""``GET /`` and ``POST /``: the citizen's report form and its receipt.

Nothing identifying is read from the request: no address, no user agent, no other cookie. The
receipt code is drawn here, shown once, and handed to intake, which keeps only its hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from channels.i18n import translate
from channels.media import size_label
from channels.ports import IncomingAttachment, IncomingMessage, IntakePort
from channels.twilio_webhook import intake_port
from channels.web.pages import Browser, WebConfig, browser_of, now, render, web_config
from channels.web.places import place_values
from channels.web.tokens import TOKEN_FIELD
from channels.web.uploads import (
    PhotoRefused,
    PhotoTooLarge,
    photo_attachment,
    read_form,
    text_field,
)
from crypto import new_receipt_code

router = APIRouter(tags=["web"], include_in_schema=False)

REPORT = "report"
MAX_REPORT_CHARS = 4000
MAX_PLACE_CHARS = 120
# When it happened: the value posted, and the catalogue key of its French wording.
WHEN_CHOICES = {
    "maintenant": "web.when.now",
    "aujourdhui": "web.when.today",
    "hier": "web.when.yesterday",
    "semaine": "web.when.week",
    "avant": "web.when.earlier",
}

Config = Annotated[WebConfig, Depends(web_config)]
Intake = Annotated[IntakePort, Depends(intake_port)]


@dataclass(frozen=True)
class Report:
    body: str
    place: str | None


@router.get("/", response_class=HTMLResponse)
async def report_form(request: Request, config: Config) -> HTMLResponse:
    return _form_page(request, config, browser_of(request))


@router.post("/", response_class=HTMLResponse)
async def submit_report(request: Request, config: Config, intake: Intake) -> HTMLResponse:
    browser = browser_of(request)
    form = await read_form(request, max_bytes=config.upload_max_bytes)
    form_id = config.tokens.check_form_token(
        text_field(form, TOKEN_FIELD),
        nonce=None if browser.is_new else browser.nonce,
        purpose=REPORT,
        now=now(),
    )
    if form_id is None:
        return render(request, "expired.html", {}, browser=browser, status_code=403)
    report, errors = _validated(form, config)
    photo: IncomingAttachment | None = None
    try:
        photo = await photo_attachment(form, "photo", max_bytes=config.photo_max_bytes)
    except PhotoTooLarge:
        return render(request, "too_large.html", {}, browser=browser, status_code=413)
    except PhotoRefused:
        errors.append("web.error.photo")
    if report is None or errors:
        return _form_page(request, config, browser, errors=errors, form=form, status_code=422)
    receipt = await intake.receive(
        IncomingMessage(
            channel="web",
            body=report.body,
            received_at=now(),
            provider_id=f"web:{form_id}",  # a double click or a reload files one tip
            place=report.place,
            attachments=(photo,) if photo else (),
            receipt_code=new_receipt_code(),
        )
    )
    context = {"reference": receipt.reference, "receipt_code": receipt.receipt_code}
    return render(request, "receipt.html", context, browser=browser)


def _validated(form: FormData, config: WebConfig) -> tuple[Report | None, list[str]]:
    errors = []
    story = text_field(form, "recit")
    if not story:
        errors.append("web.error.empty")
    elif len(story) > MAX_REPORT_CHARS:
        errors.append("web.error.too_long")
    chosen = text_field(form, "lieu")
    detail = text_field(form, "lieu_precis")
    when = text_field(form, "quand")
    if (chosen and chosen not in place_values(config.places)) or len(detail) > MAX_PLACE_CHARS:
        errors.append("web.error.place")
    if when and when not in WHEN_CHOICES:
        errors.append("web.error.when")
    if errors:
        return None, errors
    if when:
        # Written into the text in French, where triage reads words like "en ce moment".
        story = f"{story}\n\n{translate('web.when.prefix')} {translate(WHEN_CHOICES[when]).lower()}"
    # The place picked from the list first: it routes; the detail only refines it (triage).
    place = ", ".join(part for part in (chosen, detail) if part) or None
    return Report(body=story, place=place), []


def _form_page(
    request: Request,
    config: WebConfig,
    browser: Browser,
    *,
    errors: list[str] | None = None,
    form: FormData | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    values: dict[str, Any] = {}
    if form is not None:  # the citizen's own answers back, so nothing typed is lost
        values = {
            name: text_field(form, name) for name in ("recit", "lieu", "lieu_precis", "quand")
        }
    context = {
        "token": config.tokens.form_token(nonce=browser.nonce, purpose=REPORT, now=now()),
        "places": config.places,
        "whens": WHEN_CHOICES,
        "errors": errors or [],
        "values": values,
        "max_chars": MAX_REPORT_CHARS,
        "photo_limit": size_label(config.photo_max_bytes),
    }
    return render(request, "form.html", context, browser=browser, status_code=status_code)
