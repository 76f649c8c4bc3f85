"""Small HTML pages for the one route people open in a browser, ``GET /v1/join/{token}``.

A member who clicks a join link that cannot be honoured (used already, expired, the meeting ended, Kaltura down)
should read what happened and what to do, not a JSON envelope. The page is plain, accessible HTML (a language,
a title, one heading, no script, no external resource), carries no session and is never cached.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from starlette.responses import HTMLResponse

if TYPE_CHECKING:
    from kaltura_discord.api.errors import ApiError

AGAIN = "Run <code>/kaltura-join</code> in Discord (or press the meeting's Join button) for a new link."
_PAGES: dict[str, tuple[str, str]] = {
    "join_link_used": ("This join link was used already", f"Each join link opens once. {AGAIN}"),
    "token_expired": ("This join link has expired", f"Join links are valid for a limited time. {AGAIN}"),
    "invalid_token": (
        "This join link is not valid",
        f"It may have been cut short when it was copied. {AGAIN}",
    ),
    "meeting_not_found": (
        "This meeting was not found",
        "It may have been removed. Check the meeting list with <code>/kaltura-list</code> in Discord.",
    ),
    "meeting_ended": ("This meeting has ended", "Check <code>/kaltura-list</code> in Discord for live meetings."),
    "backend_unavailable": (
        "The meeting could not be opened just now",
        "Kaltura did not answer. Your link was not used up: try it again in a minute.",
    ),
    "service_unavailable": (
        "The meeting could not be opened just now",
        "A service this depends on did not answer. Your link was not used up: try it again in a minute.",
    ),
}
_DEFAULT = ("The meeting could not be opened", AGAIN)


def wants_html(accept: str | None) -> bool:
    """A browser asks for ``text/html`` ahead of JSON; API clients (and ``*/*``) keep the JSON envelope."""
    if not accept:
        return False
    types = [part.split(";", 1)[0].strip().lower() for part in accept.split(",")]
    if "text/html" not in types:
        return False
    return "application/json" not in types or types.index("text/html") < types.index("application/json")


def refusal_page(error: ApiError) -> HTMLResponse:
    title, advice = _PAGES.get(error.code, _DEFAULT)
    body = (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{html.escape(title)} - kaltura-discord</title>\n"
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;"
        "line-height:1.5;color:#1b1b1b;background:#fff}code{background:#eee;padding:0 .2em}</style>\n"
        "</head>\n<body>\n<main>\n"
        f"<h1>{html.escape(title)}</h1>\n<p>{advice}</p>\n"
        f"<p><small>Reference: <code>{html.escape(error.code)}</code></small></p>\n"
        "</main>\n</body>\n</html>\n"
    )
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", **error.headers}
    headers.pop("WWW-Authenticate", None)
    return HTMLResponse(body, status_code=error.status, headers=headers)
