"""Untrusted text inside messages people read: shared by the Discord side and the domains that write messages."""

from __future__ import annotations

_MARKDOWN_CHARACTERS = frozenset("\\*_~`|>#[]")


def escape_markdown(text: str) -> str:
    """Escape Discord markdown (incl. masked links) and neutralise mention syntax in untrusted text."""
    escaped = "".join("\\" + ch if ch in _MARKDOWN_CHARACTERS else ch for ch in text)
    return escaped.replace("@", "@\u200b").replace("<", "<\u200b")
