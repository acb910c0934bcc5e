"""What the casework pages share: the router shape, labels for times left, the redirect after a
form. Kept apart so the queue, tip, case and dashboard modules stay thin."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse

from channels.i18n import translate
from service.access.csrf import csrf_protect


def console_router() -> APIRouter:
    return APIRouter(
        prefix="/console",
        dependencies=[Depends(csrf_protect)],
        include_in_schema=False,
        default_response_class=HTMLResponse,
    )


def time_left(seconds: int | None) -> str:
    """ "reste 1 h 05", "en retard de 12 min": what an officer reads at a glance."""
    if seconds is None:
        return "—"
    key = "console.time.left" if seconds >= 0 else "console.time.late"
    return translate(key, duration=duration(abs(seconds)))


def duration(seconds: int) -> str:
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d}"
    return translate("console.time.days", days=hours // 24)


def see_other(path: str, done: str | None = None) -> RedirectResponse:
    """After a form: back to a page, saying what was done (a catalogue key suffix)."""
    if done:
        path = f"{path}{'&' if '?' in path else '?'}fait={done}"
    return RedirectResponse(path, status_code=303)


def label(kind: str, value: str | None) -> str:
    """A value of a closed list in French (category, status…), or the value itself if unknown."""
    if value is None:
        return "—"
    try:
        return translate(f"console.{kind}.{value}")
    except KeyError:
        return value
