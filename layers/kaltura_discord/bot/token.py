"""``/kaltura-token create|list|revoke``: this server's REST API tokens, for the members who manage it.

Manage Server (or Administrator) is checked here from the interaction's permissions, whatever Discord's command
permissions say, since a token lets its holder act as that member over HTTP. Tokens exist only because a verified
interaction asked for one: the REST API itself cannot mint them.

- ``create`` mints a token for the member who asked, records it (:mod:`kaltura_discord.auth.records`) and shows it
  to them alone. ``/kaltura-token`` without a subcommand (the 1.x shape, from a Discord client that has not
  refreshed its commands) does the same, with a notice (see ``bot.dispatch``).
- ``list`` shows the server's live tokens: short id, scopes, who minted them, expiry. Never a token: the record
  does not hold one.
- ``revoke`` takes one back by its short id (autocompleted), or ``all`` of them; the REST API refuses a revoked
  token within its containers' cache time (at most 60 s).

List and revoke are DynamoDB reads and writes only, well within the interaction's 3 s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaltura_discord import settings
from kaltura_discord.config import GuildConfig, get_config
from kaltura_discord.discord import responses
from kaltura_discord.discord.interaction import MANAGE_GUILD, Interaction
from kaltura_discord.discord.responses import InteractionResponse
from kaltura_discord.discord.router import UserFacingError
from kaltura_discord.logs import get_logger

if TYPE_CHECKING:
    from kaltura_discord.auth.records import TokenRecord

log = get_logger(__name__)

DEFAULT_SCOPES = "meetings:read"
SCOPE_CHOICES = frozenset(
    {"meetings:read", "meetings:read meetings:write", "meetings:read meetings:write config:write"}
)
DEFAULT_LIFETIME_HOURS = 24
MAX_LIFETIME_HOURS = 720
MAX_TOKEN_ROLES = 100
LIST_BUDGET = 1900


def _relevant_roles(config: GuildConfig, role_ids: frozenset[str]) -> list[str]:
    """Only roles the server's settings refer to (role mapping, command limits) decide anything; carrying just
    those keeps the token short enough to show in one message."""
    referenced = set(config.roles.mapping)
    for name in type(config.commands).model_fields:
        referenced.update(getattr(config.commands, name).allowed_role_ids)
    return sorted(role_ids & referenced)[:MAX_TOKEN_ROLES]


def _manager_guild(interaction: Interaction, doing: str) -> str:
    guild_id = interaction.guild_id
    if guild_id is None:
        raise UserFacingError("API tokens belong to a server: use this command in a server channel.")
    if not interaction.has_permission(MANAGE_GUILD):
        raise UserFacingError(f"Only members with the Manage Server permission can {doing} API tokens.")
    return guild_id


def _lifetime_hours(interaction: Interaction, ceiling: int, why: str) -> int:
    """The lifetime asked for, within what Discord allows (1-720) and what these scopes allow here."""
    raw = interaction.option("lifetime_hours")
    if raw is None:
        return min(DEFAULT_LIFETIME_HOURS, ceiling)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_LIFETIME_HOURS:
        raise UserFacingError(f"`lifetime_hours` must be a whole number from 1 to {MAX_LIFETIME_HOURS}.")
    if raw > ceiling:
        raise UserFacingError(f"{why} live at most {ceiling} hours: pick a `lifetime_hours` of {ceiling} or less.")
    return raw


def _ceiling(config: GuildConfig, scopes: tuple[str, ...]) -> tuple[int, str]:
    from kaltura_discord.auth.tokens import HOUR, max_lifetime_seconds

    hours = max_lifetime_seconds(scopes) // HOUR
    if "config:write" not in scopes:
        return hours, "Tokens"
    server = config.commands.kaltura_token.config_write_max_hours
    if server < hours:
        return server, "On this server (`commands.kaltura-token.config_write_max_hours`), tokens that change settings"
    return hours, "Tokens that can change settings"


def create(interaction: Interaction) -> InteractionResponse:
    from kaltura_discord.auth.records import get_registry
    from kaltura_discord.auth.tokens import HOUR, parse_scopes

    guild_id = _manager_guild(interaction, "create")
    scope_text = interaction.option_str("scopes") or DEFAULT_SCOPES
    if scope_text not in SCOPE_CHOICES:
        raise UserFacingError("Pick the token's scopes from the list.")
    scopes = parse_scopes(scope_text)
    config = get_config(guild_id)
    hours = _lifetime_hours(interaction, *_ceiling(config, scopes))
    from kaltura_discord.storage.jobs import get_ledger

    if not get_ledger().once(interaction.id, "kaltura-token"):
        raise UserFacingError("That request was already handled: a replayed request mints no second token.")
    try:
        issued = get_registry().issue(
            guild_id=guild_id,
            user_id=interaction.user_id,
            display_name=interaction.display_name,
            role_ids=_relevant_roles(config, interaction.role_ids),
            scopes=scopes,
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
    from kaltura_discord.auth.tokens import short_id

    shown = ", ".join(f"`{scope}`" for scope in scope_text.split())
    base = interaction.public_base_url
    where = f"`{base}/v1`" if base else "the stack output `ApiBaseUrl`"
    text = (
        f"Your REST API token `{short_id(issued.token_id)}` for this server ({shown}), valid until "
        f"<t:{issued.expires_at}:f> (<t:{issued.expires_at}:R>). Only you can see this message. Keep the token "
        f"secret: whoever holds it acts as you. Send it as `Authorization: Bearer <token>` to {where}; revoke it "
        f"with `/kaltura-token revoke`."
    )
    token_block = f"```\n{issued.token}\n```"
    if len(text) + len(token_block) + 1 <= responses.MAX_CONTENT_LENGTH:
        return responses.ephemeral(f"{text}\n{token_block}")
    return responses.message(text, embeds=[{"title": "API token", "description": token_block}], ephemeral=True)


def _line(record: TokenRecord) -> str:
    scopes = ", ".join(record.scopes)
    return f"`{record.short_id}` · {scopes} · minted by <@{record.user_id}> · expires <t:{record.expires_at}:R>"


def list_tokens(interaction: Interaction) -> InteractionResponse:
    from kaltura_discord.auth.records import get_registry

    guild_id = _manager_guild(interaction, "list")
    live = get_registry().live(guild_id)
    if not live:
        return responses.ephemeral("This server has no live API tokens. Mint one with `/kaltura-token create`.")
    lines = [f"**Live API tokens on this server ({len(live)})**, soonest to expire first:"]
    used = len(lines[0])
    for shown, record in enumerate(live):
        line = _line(record)
        if used + len(line) + 1 > LIST_BUDGET:
            lines.append(f"… and {len(live) - shown} more.")
            break
        lines.append(line)
        used += len(line) + 1
    lines.append("Revoke one with `/kaltura-token revoke`.")
    return responses.ephemeral("\n".join(lines))


def _shown(which: str) -> str:
    """Echo what was typed only when it is plainly an id, so no markdown or mention rides along."""
    return f"`{which}`" if which.isascii() and which.isalnum() and len(which) <= 64 else "that id"


def revoke(interaction: Interaction) -> InteractionResponse:
    from kaltura_discord.auth.records import ALL, AmbiguousToken, get_registry
    from kaltura_discord.storage.jobs import get_ledger

    guild_id = _manager_guild(interaction, "revoke")
    which = interaction.option_str("token").strip().lower()
    if not which:
        raise UserFacingError("Pick a token from the list, or type `all`.")
    if not get_ledger().once(interaction.id, "kaltura-token-revoke"):
        raise UserFacingError("That request was already handled; nothing was revoked again.")
    try:
        done = get_registry().revoke(guild_id, which, by=interaction.user_id)
    except AmbiguousToken as exc:
        raise UserFacingError(str(exc)) from None
    log.info(
        "API tokens revoked",
        extra={"guild_id": guild_id, "user_id": interaction.user_id, "jti": [r.token_id for r in done]},
    )
    if not done:
        if which == ALL:
            return responses.ephemeral("This server has no live API tokens; nothing was revoked.")
        raise UserFacingError(
            f"No live token of this server has the id {_shown(which)}. `/kaltura-token list` shows them."
        )
    refused = f"The REST API refuses {'it' if len(done) == 1 else 'them'} within a minute."
    if which == ALL:
        return responses.ephemeral(f"Revoked all {len(done)} live API token(s) of this server. {refused}")
    return responses.ephemeral(f"Revoked {_line(done[0])}. {refused}")


def _choice_name(record: TokenRecord) -> str:
    import datetime as dt

    expires = dt.datetime.fromtimestamp(record.expires_at, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{record.short_id} · {' '.join(record.scopes)} · {record.user_name} · until {expires}"


def token_autocomplete(interaction: Interaction) -> InteractionResponse:
    """The server's live tokens matching what was typed (by id or minter's name), and ``all``."""
    from kaltura_discord.auth.records import ALL, get_registry

    guild_id = interaction.guild_id
    if guild_id is None or not interaction.has_permission(MANAGE_GUILD):
        return responses.autocomplete(())
    typed = interaction.option_str("token").strip().lower()
    live = get_registry().live(guild_id)
    matching = [r for r in live if r.short_id.startswith(typed) or typed in r.user_name.lower()]
    choices: list[tuple[str, str | int]] = [(_choice_name(r), r.short_id) for r in matching]
    if live and ALL.startswith(typed):
        choices.insert(0, (f"All {len(live)} live tokens of this server", ALL))
    return responses.autocomplete(choices)
