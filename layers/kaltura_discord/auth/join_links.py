"""Personal join links: ``{public base URL}/v1/join/{join token}``, the same for Discord and the REST API.

The link carries a signed, single-use join token and nothing from Kaltura: the Kaltura session is minted when the
person opens it (``GET /v1/join/{token}``), so no session ever sits in a Discord message.
"""

from __future__ import annotations

from dataclasses import dataclass

from kaltura_discord.auth.tokens import KalturaRole, mint_join_token

JOIN_PATH = "/v1/join/"


@dataclass(frozen=True)
class JoinLink:
    url: str
    expires_at: int
    token_id: str


def issue_join_link(
    base_url: str,
    *,
    guild_id: str,
    user_id: str,
    meeting_id: str,
    display_name: str,
    role: KalturaRole,
    lifetime_seconds: int,
) -> JoinLink:
    issued = mint_join_token(
        guild_id=guild_id,
        user_id=user_id,
        meeting_id=meeting_id,
        display_name=display_name,
        role=role,
        lifetime_seconds=lifetime_seconds,
    )
    return JoinLink(f"{base_url.rstrip('/')}{JOIN_PATH}{issued.token}", issued.expires_at, issued.token_id)
