"""Per-guild command switches (``commands.<name>.enabled`` and allowed roles), checked on the server side
for every command, its autocomplete and its buttons, whatever Discord's own command permissions say.
"""

from __future__ import annotations

from kaltura_discord.discord.interaction import Interaction, InteractionType
from kaltura_discord.discord.router import UserFacingError
from kaltura_discord.i18n import lazy_gettext

# Buttons act on behalf of a command: the command's switch governs them too.
COMPONENT_COMMANDS = {
    "meeting-join": "kaltura-join",
    "meeting-share": "kaltura-join",
    "meeting-end": "kaltura-end",
    "meetings-page": "kaltura-list",
    "meeting-attendance": "kaltura-list",
}


def command_for(interaction: Interaction) -> str | None:
    if interaction.type in (InteractionType.APPLICATION_COMMAND, InteractionType.AUTOCOMPLETE):
        return interaction.command_name
    if interaction.type == InteractionType.MESSAGE_COMPONENT:
        return COMPONENT_COMMANDS.get(interaction.custom_id.partition(":")[0])
    return None


def check_policy(interaction: Interaction) -> None:
    """Raise a :class:`UserFacingError` when this server switched the command off or limited it to roles."""
    name = command_for(interaction)
    if name is None or interaction.guild_id is None:
        return
    from kaltura_discord.config import CONFIGURABLE_COMMANDS, ConfigError, get_config

    if name not in CONFIGURABLE_COMMANDS:
        return
    try:
        policy = get_config(interaction.guild_id).commands.policy(name)
    except ConfigError:
        if name == "kaltura-help":
            return
        from kaltura_discord.bot.messages import SETTINGS_UNREADABLE

        raise UserFacingError(SETTINGS_UNREADABLE) from None
    if not policy.enabled:
        raise UserFacingError(
            lazy_gettext(
                "`/{command}` is disabled on this server. A server admin can turn it on with `/kaltura-config`.",
                command=name,
            )
        )
    if not policy.allows(interaction.role_ids):
        raise UserFacingError(
            lazy_gettext(
                "`/{command}` is limited to certain roles on this server, and you have none of them.", command=name
            )
        )
