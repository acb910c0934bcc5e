"""Errors a citizen's browser meets (an old link, a reload, a broken form, an outage) as a page in
French with the way back to the form, never a JSON body a basic phone's browser shows raw.

Machines keep their JSON: the API, Twilio's webhooks, the console (which has its own pages) and
any client that does not ask for HTML.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from channels.web.pages import browser_of, render

_NOT_FOR_CITIZENS = ("/api/", "/channels/", "/console", "/static/", "/metrics", "/healthz")
# Status → (title key, text key). Anything else is told as a refusal.
_PAGES = {
    404: ("web.error_page.not_found.title", "web.error_page.not_found.text"),
    405: ("web.error_page.not_found.title", "web.error_page.not_found.text"),
    422: ("web.error_page.malformed.title", "web.error_page.malformed.text"),
    429: ("web.error_page.busy.title", "web.error_page.busy.text"),
    500: ("web.error_page.internal.title", "web.error_page.internal.text"),
    503: ("web.error_page.unavailable.title", "web.error_page.unavailable.text"),
}
_REFUSED = ("web.error_page.refused.title", "web.error_page.refused.text")


def for_a_citizen(request: Request) -> bool:
    """A browser asking for a page outside the machines' paths."""
    if request.url.path.startswith(_NOT_FOR_CITIZENS):
        return False
    return "text/html" in request.headers.get("accept", "")


def citizen_error_page(
    request: Request, status_code: int, headers: dict[str, str] | None = None
) -> HTMLResponse:
    title, text = _PAGES.get(status_code, _REFUSED)
    context = {"title": title, "text": text}
    response = render(
        request, "error.html", context, browser=browser_of(request), status_code=status_code
    )
    response.headers.update(headers or {})
    return response
