"""Which handler answers which interaction. Handlers are named as strings and imported on first use."""

from __future__ import annotations

from kaltura_discord.discord.router import Router


def build_router() -> Router:
    router = Router()
    router.command("kaltura-help", "kaltura_discord.bot.help:kaltura_help")
    router.command("kaltura-status", "kaltura_discord.bot.status:kaltura_status")
    tokens = "kaltura_discord.bot.token"
    router.command("kaltura-token", f"{tokens}:create", "create")
    router.command("kaltura-token", f"{tokens}:create")  # the 1.x shape, answered with a notice (bot.dispatch)
    router.command("kaltura-token", f"{tokens}:list_tokens", "list")
    router.command("kaltura-token", f"{tokens}:revoke", "revoke")
    router.autocomplete("kaltura-token", "token", f"{tokens}:token_autocomplete")

    settings = "kaltura_discord.bot.config_commands"
    router.command("kaltura-config", f"{settings}:view", "view")
    router.command("kaltura-config", f"{settings}:set_value", "set")
    router.command("kaltura-config", f"{settings}:reset", "reset")
    router.autocomplete("kaltura-config", "key", f"{settings}:key_autocomplete")
    router.autocomplete("kaltura-config", "value", f"{settings}:value_autocomplete")
    router.component("config-reset", f"{settings}:reset_button")

    meetings = "kaltura_discord.bot.meetings"
    router.command("kaltura-start", f"{meetings}:kaltura_start")
    router.command("kaltura-join", f"{meetings}:kaltura_join")
    router.command("kaltura-list", f"{meetings}:kaltura_list")
    router.command("kaltura-end", f"{meetings}:kaltura_end")
    router.command("kaltura-schedule", "kaltura_discord.bot.schedule:kaltura_schedule")
    router.autocomplete("kaltura-join", "meeting", f"{meetings}:meeting_autocomplete")
    router.autocomplete("kaltura-end", "meeting", f"{meetings}:meeting_autocomplete")
    router.component("meeting-join", f"{meetings}:join_button")
    router.component("meeting-share", f"{meetings}:share_button")
    router.component("meeting-end", f"{meetings}:end_button")
    router.component("meetings-page", f"{meetings}:page_button")
    router.component("meeting-attendance", "kaltura_discord.bot.attendance:attendance_button")
    return router
