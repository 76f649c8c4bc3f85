"""``/kaltura-config view|set|reset``: server admins tailor the bot. Shown ephemerally; Manage Server (or
Administrator) is checked here from the interaction's permissions, whatever Discord's command permissions say.
"""

from __future__ import annotations

import json
from typing import Any

from kaltura_discord import i18n
from kaltura_discord.bot.messages import SETTINGS_NOT_SAVED, SETTINGS_UNREADABLE
from kaltura_discord.config import (
    ConfigConflict,
    ConfigError,
    ConfigValidationError,
    config_service,
    suggest_keys,
    suggest_values,
)
from kaltura_discord.discord import responses
from kaltura_discord.discord.interaction import MANAGE_GUILD, Interaction
from kaltura_discord.discord.responses import ButtonStyle, InteractionResponse
from kaltura_discord.discord.router import UserFacingError
from kaltura_discord.i18n import lazy_gettext

SECTIONS = ("notifications", "commands", "roles", "kaltura", "meetings", "share")
RESET = "config-reset"
CODE_BLOCK_BUDGET = 1800


def _admin_guild(interaction: Interaction) -> str:
    if interaction.guild_id is None:
        raise UserFacingError(lazy_gettext("Bot settings belong to a server: use this command in a server channel."))
    if not interaction.has_permission(MANAGE_GUILD):
        raise UserFacingError(
            lazy_gettext("Only members with the Manage Server permission can view or change the bot's settings.")
        )
    return interaction.guild_id


def _explain(exc: ConfigError, *, reading: bool = False) -> str:
    """A lazy text (translated where it is shown); the validation problems themselves are in English."""
    if isinstance(exc, ConfigConflict):
        return lazy_gettext(
            "Someone else changed the same setting at the same moment, so nothing was saved. Please try again."
        )
    if isinstance(exc, ConfigValidationError):
        problems = "\n".join(f"- {p}" for p in exc.problems)
        return lazy_gettext("That change was not saved:\n{problems}", problems=problems)
    return SETTINGS_UNREADABLE if reading else SETTINGS_NOT_SAVED


def _once(interaction: Interaction, what: str) -> None:
    """A replayed signed request changes nothing a second time."""
    from kaltura_discord.storage.jobs import get_ledger

    if not get_ledger().once(interaction.id, what):
        raise UserFacingError(lazy_gettext("That request was already handled; nothing was changed again."))


def _code_block(value: Any) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False).replace("```", "`\u200b``")
    if len(text) > CODE_BLOCK_BUDGET:
        text = text[: CODE_BLOCK_BUDGET - 1] + "\u2026"
    return f"```json\n{text}\n```"


def _dotted(overrides: dict[str, Any], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for name, value in overrides.items():
        if isinstance(value, dict) and value and not prefix.startswith("roles.mapping"):
            keys.extend(_dotted(value, f"{prefix}{name}."))
        else:
            keys.append(f"{prefix}{name}")
    return keys


def view(interaction: Interaction) -> InteractionResponse:
    guild_id = _admin_guild(interaction)
    section = interaction.option_str("section")
    try:
        loaded = config_service().load(guild_id)
    except ConfigError as exc:
        raise UserFacingError(_explain(exc, reading=True)) from None
    t = i18n.for_reply(interaction)
    effective = loaded.config.model_dump(mode="json", by_alias=True)
    version = str(loaded.version)
    if section:
        shown: Any = effective.get(section, {})
        title = t.gettext("**{section}** (version {version})", section=section, version=version)
    else:
        shown = {name: sorted(effective[name]) for name in SECTIONS if name in effective}
        title = t.gettext(
            "Sections and their keys (version {version}); view one with `{option}`.",
            version=version,
            option=t.name("section"),
        )
    changed = ", ".join(f"`{k}`" for k in sorted(_dotted(loaded.overrides))) or t.gettext("none (all defaults)")
    changed_line = t.gettext("Changed on this server: {keys}", keys=changed)
    return responses.ephemeral(f"{title}\n{changed_line}\n{_code_block(shown)}")


def set_value(interaction: Interaction) -> InteractionResponse:
    guild_id = _admin_guild(interaction)
    key, value = interaction.option_str("key").strip(), interaction.option_str("value")
    _once(interaction, "config-set")
    try:
        change = config_service().set_value(guild_id, key, value, actor_id=interaction.user_id)
    except ConfigError as exc:
        raise UserFacingError(_explain(exc)) from None
    t = i18n.for_reply(interaction)
    if not change.changed:
        return responses.ephemeral(t.gettext("`{key}` already had that value; nothing changed.", key=key))
    return responses.ephemeral(
        t.gettext(
            "Saved `{key}` (settings version {version}). It applies from the next command.",
            key=key,
            version=str(change.version),
        )
    )


def reset(interaction: Interaction) -> InteractionResponse:
    _admin_guild(interaction)
    section = interaction.option_str("section") or "all"
    t = i18n.for_reply(interaction)
    if section == "all":
        question = t.gettext("Reset every setting on this server to the defaults? This cannot be undone.")
    else:
        question = t.gettext(
            "Reset the **{section}** settings on this server to the defaults? This cannot be undone.", section=section
        )
    buttons = responses.action_row(
        responses.button(t.gettext("Reset"), custom_id=f"{RESET}:{section}:yes", style=ButtonStyle.DANGER),
        responses.button(t.gettext("Cancel"), custom_id=f"{RESET}:{section}:no", style=ButtonStyle.SECONDARY),
    )
    return responses.message(question, components=[buttons], ephemeral=True)


def reset_button(interaction: Interaction) -> InteractionResponse:
    guild_id = _admin_guild(interaction)
    parts = interaction.custom_id_parts
    section, answer = (parts[1], parts[2]) if len(parts) == 3 else ("", "no")
    t = i18n.for_reply(interaction)
    if answer != "yes":
        return responses.update_message(t.gettext("Reset cancelled; nothing changed."), components=[])
    if section != "all" and section not in SECTIONS:
        raise UserFacingError(lazy_gettext("That reset button is no longer valid. Run `/kaltura-config reset` again."))
    _once(interaction, "config-reset")
    try:
        change = config_service().reset(guild_id, None if section == "all" else section, actor_id=interaction.user_id)
    except ConfigError as exc:
        raise UserFacingError(_explain(exc)) from None
    version = str(change.version)
    if section == "all":
        done = t.gettext("Every setting is back to the defaults (version {version}).", version=version)
    else:
        done = t.gettext(
            "The {section} settings are back to the defaults (version {version}).", section=section, version=version
        )
    return responses.update_message(done, components=[])


def key_autocomplete(interaction: Interaction) -> InteractionResponse:
    if not interaction.has_permission(MANAGE_GUILD):
        return responses.autocomplete(())
    return responses.autocomplete((spec.key, spec.key) for spec in suggest_keys(interaction.option_str("key")))


def value_autocomplete(interaction: Interaction) -> InteractionResponse:
    if not interaction.has_permission(MANAGE_GUILD):
        return responses.autocomplete(())
    choices = suggest_values(interaction.option_str("key"), interaction.option_str("value"))
    return responses.autocomplete((choice, choice) for choice in choices)
