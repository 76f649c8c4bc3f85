"""The first-answer promise, shared by the fault e2e tests and ``make bench``: every kind of interaction a member can
send, and what its first HTTP answer must be whatever fails behind it.

The promise: HTTP 200 in under 2.8 s, and the body is a deferral (type 5/6) or an ephemeral message (flags 64); an
autocomplete answers choices (type 8, possibly none); the page button may answer by updating the ephemeral list it
sits on (type 7).
"""

from __future__ import annotations

from typing import Any, Protocol

from tests.support.interactions import MANAGE_GUILD, command, interaction

FIRST_ANSWER_LIMIT_SECONDS = 2.8
PAGE_BUTTON = "Page button"


class Answer(Protocol):
    """What is read from an HTTP answer (an ``httpx.Response``)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


def interactions(meeting_id: str, *, guild: str, host: str, viewer: str) -> list[tuple[str, dict[str, Any]]]:
    """Every kind of interaction a member can send, named; ``meeting_id`` is a live meeting ``host`` started."""
    start_options = [{"name": "type", "type": 3, "value": "meeting"}, {"name": "title", "type": 3, "value": "Outage"}]
    meeting = [{"name": "meeting", "type": 3, "value": meeting_id}]
    typed = [{"name": "meeting", "type": 3, "value": "fault", "focused": True}]
    setting = [
        {"name": "key", "type": 3, "value": "notifications.meeting_started"},
        {"name": "value", "type": 3, "value": "off"},
    ]

    def button(custom_id: str, user: str) -> dict[str, Any]:
        return interaction(3, {"custom_id": custom_id, "component_type": 2}, user_id=user, guild_id=guild)

    def config(sub: str, options: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        subcommand = [{"name": sub, "type": 1, "options": options or []}]
        return command("kaltura-config", subcommand, permissions=MANAGE_GUILD, guild_id=guild, user_id=host)

    return [
        ("/kaltura-help", command("kaltura-help", guild_id=guild, user_id=viewer)),
        ("/kaltura-list", command("kaltura-list", guild_id=guild, user_id=viewer)),
        ("/kaltura-start", command("kaltura-start", start_options, guild_id=guild, user_id=host)),
        ("/kaltura-end", command("kaltura-end", meeting, guild_id=guild, user_id=host)),
        ("Join button", button(f"meeting-join:{meeting_id}", viewer)),
        ("Share button", button(f"meeting-share:{meeting_id}", host)),
        ("End button", button(f"meeting-end:{meeting_id}", host)),
        (PAGE_BUTTON, button("meetings-page:1", viewer)),
        ("/kaltura-config view", config("view")),
        ("/kaltura-config set", config("set", setting)),
        ("Join autocomplete", command("kaltura-join", typed, guild_id=guild, user_id=viewer) | {"type": 4}),
    ]


def broken_promise(name: str, payload: dict[str, Any], elapsed: float, response: Answer | None) -> str | None:
    """Why this first answer breaks the promise (timing, status, body), or None when it keeps it."""
    if response is None:
        return f"{name}: no answer at all within {elapsed:.1f} s"
    problems = []
    if elapsed >= FIRST_ANSWER_LIMIT_SECONDS:
        problems.append(f"answered in {elapsed:.2f} s")
    if response.status_code != 200:
        problems.append(f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        problems.append("the body is not a JSON object")
    elif payload.get("type") == 4:
        choices = (body.get("data") or {}).get("choices")
        if body.get("type") != 8 or not isinstance(choices, list):
            problems.append("not an autocomplete answer (type 8 with a choices list)")
    else:
        kind, flags = body.get("type"), (body.get("data") or {}).get("flags", 0)
        ephemeral = kind == 4 and isinstance(flags, int) and flags & 64 == 64
        page_update = name == PAGE_BUTTON and kind == 7 and bool(body.get("data"))
        if kind not in (5, 6) and not ephemeral and not page_update:
            problems.append("neither a deferral (type 5/6) nor an ephemeral message (flags 64)")
    if not problems:
        return None
    return f"{name}: {', '.join(problems)}; body {response.text[:300]}"
