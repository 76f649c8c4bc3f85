"""Message templates with named placeholders, checked when saved and rendered without ``str.format``.

A template is guild-controlled text, and the values come from people (meeting titles, display names), so:

- only ``{name}`` placeholders from a fixed list per kind are accepted, and the check runs when the template
  is saved (``validate_template``), so a bad template never reaches a meeting;
- rendering is a plain substitution of pre-parsed segments: no attribute access, indexing, conversions or
  format specs, whatever the text holds;
- values are escaped for Discord markdown and can never form a mention; only mentions written literally in
  the template can ping, and only those the guild allowed (``allowed_mentions``);
- the result is capped at Discord's 2000 characters.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

if TYPE_CHECKING:
    from kaltura_discord.config.model import GuildConfig
    from kaltura_discord.i18n import Translator

TemplateKind = Literal[
    "meeting_started", "meeting_ended", "meeting_shared", "meeting_reminder", "recording_ready", "share"
]
TEMPLATE_KINDS: Final[tuple[TemplateKind, ...]] = (
    "meeting_started",
    "meeting_ended",
    "meeting_shared",
    "meeting_reminder",
    "recording_ready",
    "share",
)
MAX_MESSAGE_LENGTH: Final = 2000
LINK_PLACEHOLDERS: Final = frozenset({"event_link", "recording_url"})
TIMESTAMP_PLACEHOLDERS: Final = frozenset({"start"})
"""Filled by the bot with a Discord timestamp (``<t:1893456000:F>``), kept as is so each reader sees their time."""
"""Values the bot builds itself as https links (never a person's text): escaping their ``_`` would break them.
They are checked to be a plain https URL when rendered (:func:`_link`)."""
_LINK = re.compile(r"^https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%/-]*)?$")

PLACEHOLDER_DESCRIPTIONS: Final[Mapping[str, str]] = {
    "title": "the meeting title",
    "type": "the meeting type: meeting, webinar or classroom",
    "host": "the host's display name",
    "id": "the meeting id people give to /kaltura-join",
    "join_hint": "one sentence telling people how to join",
    "ended_by": "display name of the person who ended the meeting",
    "duration": "how long the meeting lasted, for example 1 h 5 min",
    "shared_by": "display name of the person who shared the meeting",
    "start": "when the meeting starts, as a Discord timestamp each reader sees in their own time zone",
    "event_link": "the link to the meeting's Discord event",
    "recording_url": "the link to the recording's page (never a session)",
    "attendees": "how many people opened a join link",
}

PLACEHOLDERS: Final[Mapping[TemplateKind, tuple[str, ...]]] = {
    "meeting_started": ("title", "type", "host", "id", "join_hint"),
    "meeting_ended": ("title", "type", "host", "id", "ended_by", "duration", "attendees"),
    "meeting_shared": ("title", "type", "host", "id", "join_hint", "shared_by"),
    "meeting_reminder": ("title", "type", "host", "id", "join_hint", "start", "event_link"),
    "recording_ready": ("title", "type", "host", "id", "duration", "recording_url"),
    "share": ("title", "type", "host", "id", "join_hint", "shared_by"),
}

SAMPLE_VALUES: Final[Mapping[str, str]] = {
    "title": "Weekly sync",
    "type": "meeting",
    "host": "Ada",
    "id": "m-7f3k2q",
    "join_hint": "Use /kaltura-join with this id, or press Join.",
    "ended_by": "Ada",
    "duration": "45 min",
    "shared_by": "Grace",
    "start": "<t:1893456000:F>",
    "event_link": "https://discord.com/events/1000000000000000100/1000000000000000900",
    "recording_url": "https://1234567.kaf.kaltura.com/media/t/0_abcd1234",
    "attendees": "12",
}
"""Values for previews (``/kaltura-config`` can show what a template will look like)."""

_ZWSP = "\u200b"
_MARKDOWN = re.compile(r"([\\*_~`|>#\-\[\]()<+])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_NAME = re.compile(r"[a-z_]+")
_MASS_MENTION = re.compile(r"@(?:everyone|here)\b")
_ROLE_MENTION = re.compile(r"<@&([0-9]{17,20})>")
# A value placed right after one of these could complete a mention written half in the template.
_MENTION_LEADS = frozenset("@&#!<")


class TemplateError(ValueError):
    """A template was rejected; the message says what is allowed (the caller prefixes the key)."""


@dataclass(frozen=True, slots=True)
class _Placeholder:
    name: str


_Segment = str | _Placeholder


def placeholders_for(kind: TemplateKind) -> tuple[str, ...]:
    return PLACEHOLDERS[kind]


def _allowed_text(kind: TemplateKind) -> str:
    return ", ".join("{" + name + "}" for name in PLACEHOLDERS[kind])


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@functools.lru_cache(maxsize=512)
def _parse(template: str, kind: TemplateKind) -> tuple[_Segment, ...]:
    allowed = PLACEHOLDERS[kind]
    segments: list[_Segment] = []
    literal: list[str] = []
    i, length = 0, len(template)
    while i < length:
        char = template[i]
        if char == "}":
            literal.append("}")
            i += 2 if template.startswith("}}", i) else 1
            continue
        if char != "{":
            literal.append(char)
            i += 1
            continue
        if template.startswith("{{", i):
            literal.append("{")
            i += 2
            continue
        end = template.find("}", i + 1)
        inner = template[i + 1 : end] if end != -1 else ""
        if end == -1 or "{" in inner:
            raise TemplateError(
                f"has a {{ that is never closed; write {{{{ for a literal brace. Placeholders: {_allowed_text(kind)}"
            )
        if inner not in allowed:
            shown = "{" + _shorten(inner) + "}"
            if _NAME.fullmatch(inner):
                raise TemplateError(f"uses unknown placeholder {shown}; allowed here: {_allowed_text(kind)}")
            raise TemplateError(
                f"contains {shown}, which is not allowed: placeholders are plain names, without attributes, indexes, "
                f"conversions or format specs; allowed here: {_allowed_text(kind)}"
            )
        if literal:
            segments.append("".join(literal))
            literal.clear()
        segments.append(_Placeholder(inner))
        i = end + 1
    if literal:
        segments.append("".join(literal))
    return tuple(segments)


def validate_template(template: str, kind: TemplateKind) -> str:
    """Check a template when it is saved; returns it unchanged or raises TemplateError."""
    if not template.strip():
        raise TemplateError("must not be empty")
    if len(template) > MAX_MESSAGE_LENGTH:
        raise TemplateError(f"is {len(template)} characters long; Discord allows at most {MAX_MESSAGE_LENGTH}")
    _parse(template, kind)
    return template


def escape_value(value: str) -> str:
    """Make a person-supplied value inert: one line, markdown escaped, no mention can form."""
    text = _CONTROL.sub(" ", value)
    text = _MARKDOWN.sub(r"\\\1", text)
    return text.replace("@", "@" + _ZWSP)


class MentionPolicy(Protocol):
    """What a guild allows templates to ping (``GuildConfig.notifications.allowed_mentions``)."""

    @property
    def everyone(self) -> bool: ...

    @property
    def roles(self) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """Content plus the ``allowed_mentions`` object that must be sent with it."""

    content: str
    allowed_mentions: dict[str, list[str]]

    def as_payload(self) -> dict[str, Any]:
        """The ``content``/``allowed_mentions`` part of a Discord message or webhook body."""
        return {"content": self.content, "allowed_mentions": {k: list(v) for k, v in self.allowed_mentions.items()}}


def _cap(content: str) -> str:
    if len(content) <= MAX_MESSAGE_LENGTH:
        return content
    # A trailing lone backslash would escape the ellipsis; drop it.
    return content[: MAX_MESSAGE_LENGTH - 1].rstrip("\\") + "…"


def _allowed_mentions(segments: Sequence[_Segment], policy: MentionPolicy | None) -> dict[str, list[str]]:
    allowed: dict[str, list[str]] = {"parse": []}
    if policy is None:
        return allowed
    literals = [segment for segment in segments if isinstance(segment, str)]
    if policy.everyone and any(_MASS_MENTION.search(text) for text in literals):
        allowed["parse"] = ["everyone"]
    permitted = set(policy.roles)
    roles = sorted({role for text in literals for role in _ROLE_MENTION.findall(text) if role in permitted})
    if roles:
        allowed["roles"] = roles
    return allowed


def _link(value: str) -> str:
    """A link placeholder's value as is when it is a plain https URL (no markdown, no mention can hide in it)."""
    return value if _LINK.fullmatch(value) else escape_value(value)


_TIMESTAMP = re.compile(r"<t:-?[0-9]{1,13}(?::[tTdDfFR])?>")


def _trusted(name: str, value: str) -> str:
    """A placeholder's value, escaped unless it is exactly what its kind allows (a link, a timestamp)."""
    if name in LINK_PLACEHOLDERS:
        return _link(value)
    if name in TIMESTAMP_PLACEHOLDERS and _TIMESTAMP.fullmatch(value):
        return value
    return escape_value(value)


def render_template(
    template: str,
    kind: TemplateKind,
    values: Mapping[str, str],
    *,
    mentions: MentionPolicy | None = None,
) -> RenderedMessage:
    """Fill a saved template; ``values`` must cover every placeholder the template uses.

    Raises TemplateError when the template is invalid (it should have been rejected when saved) and
    KeyError when a placeholder the template uses has no value (a bug in the caller).
    """
    segments = _parse(template, kind)
    out: list[str] = []
    for segment in segments:
        if isinstance(segment, str):
            out.append(segment)
            continue
        value = _trusted(segment.name, values[segment.name])
        if out and out[-1] and out[-1][-1] in _MENTION_LEADS:
            value = _ZWSP + value
        out.append(value)
    return RenderedMessage(content=_cap("".join(out)), allowed_mentions=_allowed_mentions(segments, mentions))


def render_for(
    config: GuildConfig, kind: TemplateKind, values: Mapping[str, str], t: Translator | None = None
) -> RenderedMessage:
    """Render the guild's template for ``kind`` with the guild's mention policy.

    With ``t`` (the channel's language), a template the server has not changed, a shipped default, is rendered
    from its translation (:data:`kaltura_discord.i18n.TEMPLATE`); any other template stays exactly as written. A
    translation that no longer fits the template's rules falls back to the English default, logged.
    """
    template = config.share.template if kind == "share" else getattr(config.notifications.templates, kind)
    mentions = config.notifications.allowed_mentions
    if t is not None:
        from kaltura_discord.i18n import TEMPLATE

        translated = t.lookup(template, TEMPLATE)
        if translated != template:
            try:
                return render_template(translated, kind, values, mentions=mentions)
            except (TemplateError, KeyError):
                from kaltura_discord.logs import get_logger

                get_logger(__name__).error("broken translated template", extra={"locale": t.locale, "kind": kind})
    return render_template(template, kind, values, mentions=mentions)
