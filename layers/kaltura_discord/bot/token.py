"""``/kaltura-token``: a REST API token for this server, shown only to the member who asked for it.

Manage Server (or Administrator) is checked here from the interaction's permissions, whatever Discord's command
permissions say, since a token lets its holder act as that member over HTTP. Tokens exist only because a verified
interaction asked for one: the REST API itself cannot mint them.
"""

from __future__ import annotations

from kaltura_discord import settings
from kaltura_discord.config import GuildConfig, get_config
from kaltura_discord.discord import responses
from kaltura_discord.discord.interaction import MANAGE_GUILD, Interaction
from kaltura_discord.discord.responses import InteractionResponse
from kaltura_discord.discord.router import UserFacingError
from kaltura_discord.logs import get_logger

log = get_logger(__name__)

DEFAULT_SCOPES = "meetings:read"
SCOPE_CHOICES = frozenset(
    {"meetings:read", "meetings:read meetings:write", "meetings:read meetings:write config:write"}
)
DEFAULT_LIFETIME_HOURS = 24
MAX_LIFETIME_HOURS = 720
MAX_TOKEN_ROLES = 100


def _relevant_roles(config: GuildConfig, role_ids: frozenset[str]) -> list[str]:
    """Only roles the server's settings refer to (role mapping, command limits) decide anything; carrying just
    those keeps the token short enough to show in one message."""
    referenced = set(config.roles.mapping)
    for name in type(config.commands).model_fields:
        referenced.update(getattr(config.commands, name).allowed_role_ids)
    return sorted(role_ids & referenced)[:MAX_TOKEN_ROLES]


def _lifetime_hours(interaction: Interaction) -> int:
    raw = interaction.option("lifetime_hours", DEFAULT_LIFETIME_HOURS)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_LIFETIME_HOURS:
        raise UserFacingError(f"`lifetime_hours` must be a whole number from 1 to {MAX_LIFETIME_HOURS}.")
    return raw


def kaltura_token(interaction: Interaction) -> InteractionResponse:
    from kaltura_discord.auth.tokens import HOUR, mint_api_token, parse_scopes

    guild_id = interaction.guild_id
    if guild_id is None:
        raise UserFacingError("API tokens belong to a server: use this command in a server channel.")
    if not interaction.has_permission(MANAGE_GUILD):
        raise UserFacingError("Only members with the Manage Server permission can create API tokens.")
    scope_text = interaction.option_str("scopes") or DEFAULT_SCOPES
    if scope_text not in SCOPE_CHOICES:
        raise UserFacingError("Pick the token's scopes from the list.")
    hours = _lifetime_hours(interaction)
    from kaltura_discord.storage.jobs import get_ledger

    if not get_ledger().once(interaction.id, "kaltura-token"):
        raise UserFacingError("That request was already handled: a replayed request mints no second token.")
    try:
        issued = mint_api_token(
            guild_id=guild_id,
            user_id=interaction.user_id,
            display_name=interaction.display_name,
            role_ids=_relevant_roles(get_config(guild_id), interaction.role_ids),
            scopes=parse_scopes(scope_text),
            lifetime_seconds=hours * HOUR,
        )
    except settings.ConfigurationError as exc:
        log.error("cannot mint API tokens", extra={"interaction_id": interaction.id, "error": str(exc)})
        raise UserFacingError(
            "API tokens are not set up on this deployment yet (its signing keys are missing). "
            "Ask whoever runs the bot to set JWT_SIGNING_KEYS."
        ) from None
    log.info(
        "API token minted",
        extra={"guild_id": guild_id, "user_id": interaction.user_id, "jti": issued.token_id, "scopes": scope_text},
    )
    scopes = ", ".join(f"`{scope}`" for scope in scope_text.split())
    base = interaction.public_base_url
    where = f"`{base}/v1`" if base else "the stack output `ApiBaseUrl`"
    text = (
        f"Your REST API token for this server ({scopes}), valid until <t:{issued.expires_at}:f> "
        f"(<t:{issued.expires_at}:R>). Only you can see this message. Keep the token secret: whoever holds it "
        f"acts as you. Send it as `Authorization: Bearer <token>` to {where}."
    )
    token_block = f"```\n{issued.token}\n```"
    if len(text) + len(token_block) + 1 <= responses.MAX_CONTENT_LENGTH:
        return responses.ephemeral(f"{text}\n{token_block}")
    return responses.message(text, embeds=[{"title": "API token", "description": token_block}], ephemeral=True)
