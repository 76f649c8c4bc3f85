"""The one HTTP client factory: explicit timeouts, connection reuse, an identifying user agent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaltura_discord import __version__

if TYPE_CHECKING:
    import httpx

USER_AGENT = f"DiscordBot (https://github.com/kaltura-discord/kaltura-discord, {__version__})"


def create_client(
    base_url: str = "",
    *,
    connect_timeout: float = 3.0,
    read_timeout: float = 10.0,
    headers: dict[str, str] | None = None,
) -> httpx.Client:
    """Build a client meant to live for the whole container (keep-alive across invocations)."""
    import httpx

    timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=60.0)
    merged = {"User-Agent": USER_AGENT, **(headers or {})}
    return httpx.Client(base_url=base_url, timeout=timeout, limits=limits, headers=merged)
