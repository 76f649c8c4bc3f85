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

from kaltura_discord import i18n, settings
from kaltura_discord.config import GuildConfig, get_config
from kaltura_discord.discord import responses
from kaltura_discord.discord.interaction import MANAGE_GUILD, Interaction
from kaltura_discord.discord.responses import InteractionResponse
from kaltura_discord.discord.router import UserFacingError
from kaltura_discord.i18n import Message, Translator, lazy_gettext, lazy_name, lazy_ngettext
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
_LIFETIME = lazy_name("lifetime_hours")


def _relevant_roles(config: GuildConfig, role_ids: frozenset[str]) -> list[str]:
    """Only roles the server's settings refer to (role mapping, command limits) decide anything; carrying just
    those keeps the token short enough to show in one message."""
    referenced = set(config.roles.mapping)
    for name in type(config.commands).model_fields:
        referenced.update(getattr(config.commands, name).allowed_role_ids)
    return sorted(role_ids & referenced)[:MAX_TOKEN_ROLES]


def _manager_guild(interaction: Interaction, refusal: Message) -> str:
    guild_id = interaction.guild_id
    if guild_id is None:
        raise UserFacingError(lazy_gettext("API tokens belong to a server: use this command in a server channel."))
    if not interaction.has_permission(MANAGE_GUILD):
        raise UserFacingError(refusal)
    return guild_id


def _lifetime_hours(interaction: Interaction, ceiling: int, refusal: Message) -> int:
    """The lifetime asked for, within what Discord allows (1-720) and what these scopes allow here."""
    raw = interaction.option("lifetime_hours")
    if raw is None:
        return min(DEFAULT_LIFETIME_HOURS, ceiling)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_LIFETIME_HOURS:
        raise UserFacingError(
            lazy_gettext("`{option}` must be a whole number from 1 to {max}.", option=_LIFETIME, max=MAX_LIFETIME_HOURS)
        )
    if raw > ceiling:
        raise UserFacingError(refusal)
    return raw


def _ceiling(config: GuildConfig, scopes: tuple[str, ...]) -> tuple[int, Message]:
    """The longest lifetime these scopes may have here, and what to say when more is asked for."""
    from kaltura_discord.auth.tokens import HOUR, max_lifetime_seconds

    hours = max_lifetime_seconds(scopes) // HOUR
    if "config:write" not in scopes:
        return hours, lazy_ngettext(
            "Tokens live at most {n} hour: pick a `{option}` of {n} or less.",
            "Tokens live at most {n} hours: pick a `{option}` of {n} or less.",
            hours,
            option=_LIFETIME,
        )
    server = config.commands.kaltura_token.config_write_max_hours
    if server < hours:
        return server, lazy_ngettext(
            "On this server (`commands.kaltura-token.config_write_max_hours`), tokens that change settings live at "
            "most {n} hour: pick a `{option}` of {n} or less.",
            "On this server (`commands.kaltura-token.config_write_max_hours`), tokens that change settings live at "
            "most {n} hours: pick a `{option}` of {n} or less.",
            server,
            option=_LIFETIME,
        )
    return hours, lazy_ngettext(
        "Tokens that can change settings live at most {n} hour: pick a `{option}` of {n} or less.",
        "Tokens that can change settings live at most {n} hours: pick a `{option}` of {n} or less.",
        hours,
        option=_LIFETIME,
    )


def create(interaction: Interaction) -> InteractionResponse:
    from kaltura_discord.auth.records import get_registry
    from kaltura_discord.auth.tokens import HOUR, parse_scopes

    guild_id = _manager_guild(
        interaction, lazy_gettext("Only members with the Manage Server permission can create API tokens.")
    )
    scope_text = interaction.option_str("scopes") or DEFAULT_SCOPES
    if scope_text not in SCOPE_CHOICES:
        raise UserFacingError(lazy_gettext("Pick the token's scopes from the list."))
    scopes = parse_scopes(scope_text)
    config = get_config(guild_id)
    hours = _lifetime_hours(interaction, *_ceiling(config, scopes))
    from kaltura_discord.storage.jobs import get_ledger

    if not get_ledger().once(interaction.id, "kaltura-token"):
        raise UserFacingError(
            lazy_gettext("That request was already handled: a replayed request mints no second token.")
        )
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
            lazy_gettext(
                "API tokens are not set up on this deployment yet (its signing keys are missing). "
                "Ask whoever runs the bot to set JWT_SIGNING_KEYS."
            )
        ) from None
    log.info(
        "API token minted",
        extra={"guild_id": guild_id, "user_id": interaction.user_id, "jti": issued.token_id, "scopes": scope_text},
    )
    from kaltura_discord.auth.tokens import short_id

    t = i18n.for_reply(interaction)
    shown = ", ".join(f"`{scope}`" for scope in scope_text.split())
    base = interaction.public_base_url
    where = f"`{base}/v1`" if base else t.gettext("the stack output `ApiBaseUrl`")
    text = t.gettext(
        "Your REST API token `{id}` for this server ({scopes}), valid until <t:{expires}:f> (<t:{expires}:R>). "
        "Only you can see this message. Keep the token secret: whoever holds it acts as you. Send it as "
        "`Authorization: Bearer <token>` to {where}; revoke it with `/kaltura-token revoke`.",
        id=short_id(issued.token_id),
        scopes=shown,
        expires=str(issued.expires_at),
        where=where,
    )
    token_block = f"```\n{issued.token}\n```"
    if len(text) + len(token_block) + 1 <= responses.MAX_CONTENT_LENGTH:
        return responses.ephemeral(f"{text}\n{token_block}")
    embed = {"title": t.gettext("API token"), "description": token_block}
    return responses.message(text, embeds=[embed], ephemeral=True)


def _line(t: Translator, record: TokenRecord) -> str:
    return t.gettext(
        "`{id}` · {scopes} · minted by <@{user}> · expires <t:{expires}:R>",
        id=record.short_id,
        scopes=", ".join(record.scopes),
        user=record.user_id,
        expires=str(record.expires_at),
    )


def list_tokens(interaction: Interaction) -> InteractionResponse:
    from kaltura_discord.auth.records import get_registry

    guild_id = _manager_guild(
        interaction, lazy_gettext("Only members with the Manage Server permission can list API tokens.")
    )
    t = i18n.for_reply(interaction)
    live = get_registry().live(guild_id)
    if not live:
        return responses.ephemeral(
            t.gettext("This server has no live API tokens. Mint one with `/kaltura-token create`.")
        )
    lines = [t.gettext("**Live API tokens on this server ({n})**, soonest to expire first:", n=len(live))]
    used = len(lines[0])
    for shown, record in enumerate(live):
        line = _line(t, record)
        if used + len(line) + 1 > LIST_BUDGET:
            lines.append(t.ngettext("… and {n} more.", "… and {n} more.", len(live) - shown))
            break
        lines.append(line)
        used += len(line) + 1
    lines.append(t.gettext("Revoke one with `/kaltura-token revoke`."))
    return responses.ephemeral("\n".join(lines))


def _shown(which: str) -> str:
    """Echo what was typed only when it is plainly an id, so no markdown or mention rides along."""
    return f"`{which}`" if which.isascii() and which.isalnum() and len(which) <= 64 else lazy_gettext("that id")


def revoke(interaction: Interaction) -> InteractionResponse:
    from kaltura_discord.auth.records import ALL, AmbiguousToken, get_registry
    from kaltura_discord.storage.jobs import get_ledger

    guild_id = _manager_guild(
        interaction, lazy_gettext("Only members with the Manage Server permission can revoke API tokens.")
    )
    which = interaction.option_str("token").strip().lower()
    if not which:
        raise UserFacingError(lazy_gettext("Pick a token from the list, or type `all`."))
    if not get_ledger().once(interaction.id, "kaltura-token-revoke"):
        raise UserFacingError(lazy_gettext("That request was already handled; nothing was revoked again."))
    try:
        done = get_registry().revoke(guild_id, which, by=interaction.user_id)
    except AmbiguousToken:
        raise UserFacingError(
            lazy_gettext(
                "More than one live token starts with {id}: give more of its id (from the list).", id=_shown(which)
            )
        ) from None
    log.info(
        "API tokens revoked",
        extra={"guild_id": guild_id, "user_id": interaction.user_id, "jti": [r.token_id for r in done]},
    )
    t = i18n.for_reply(interaction)
    if not done:
        if which == ALL:
            return responses.ephemeral(t.gettext("This server has no live API tokens; nothing was revoked."))
        raise UserFacingError(
            lazy_gettext(
                "No live token of this server has the id {id}. `/kaltura-token list` shows them.", id=_shown(which)
            )
        )
    if which == ALL:
        return responses.ephemeral(
            t.ngettext(
                "Revoked the one live API token of this server. The REST API refuses it within a minute.",
                "Revoked all {n} live API tokens of this server. The REST API refuses them within a minute.",
                len(done),
            )
        )
    return responses.ephemeral(
        t.gettext("Revoked {token}. The REST API refuses it within a minute.", token=_line(t, done[0]))
    )


def _choice_name(t: Translator, record: TokenRecord) -> str:
    import datetime as dt

    expires = dt.datetime.fromtimestamp(record.expires_at, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return t.gettext(
        "{id} · {scopes} · {user} · until {expires}",
        id=record.short_id,
        scopes=" ".join(record.scopes),
        user=record.user_name,
        expires=expires,
    )


def token_autocomplete(interaction: Interaction) -> InteractionResponse:
    """The server's live tokens matching what was typed (by id or minter's name), and ``all``."""
    from kaltura_discord.auth.records import ALL, get_registry

    guild_id = interaction.guild_id
    if guild_id is None or not interaction.has_permission(MANAGE_GUILD):
        return responses.autocomplete(())
    t = i18n.for_reply(interaction)
    typed = interaction.option_str("token").strip().lower()
    live = get_registry().live(guild_id)
    matching = [r for r in live if r.short_id.startswith(typed) or typed in r.user_name.lower()]
    choices: list[tuple[str, str | int]] = [(_choice_name(t, r), r.short_id) for r in matching]
    if live and ALL.startswith(typed):
        everything = t.ngettext("The live token of this server", "All {n} live tokens of this server", len(live))
        choices.insert(0, (everything, ALL))
    return responses.autocomplete(choices)
