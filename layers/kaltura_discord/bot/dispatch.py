"""Routes a verified, parsed interaction to its handler and turns every failure into a clear answer."""

from __future__ import annotations

from typing import Any

from kaltura_discord import i18n
from kaltura_discord.aws import ServiceUnavailable
from kaltura_discord.bot.messages import STORAGE_SLOW
from kaltura_discord.bot.policy import check_policy
from kaltura_discord.bot.routes import build_router
from kaltura_discord.commands.definitions import deprecation_notice, old_shape_notice
from kaltura_discord.commands.definitions import get as get_definition
from kaltura_discord.deadline import DeadlineExceeded
from kaltura_discord.discord import responses
from kaltura_discord.discord.interaction import Interaction, InteractionType
from kaltura_discord.discord.responses import InteractionResponse
from kaltura_discord.discord.router import Router, UnknownRoute, UserFacingError
from kaltura_discord.logs import get_logger

log = get_logger(__name__)

_router: Router | None = None


def get_router() -> Router:
    global _router  # noqa: PLW0603 - built once per container
    if _router is None:
        _router = build_router()
    return _router


def _refusal(interaction: Interaction, text: str) -> InteractionResponse:
    if interaction.type == InteractionType.AUTOCOMPLETE:
        return responses.autocomplete(())
    return responses.ephemeral(text)


def handle_interaction(interaction: Interaction, router: Router | None = None) -> InteractionResponse:
    context = {
        "interaction_id": interaction.id,
        "interaction_type": interaction.type,
        "command": interaction.command_name or None,
        "guild_id": interaction.guild_id,
    }
    log.info("interaction", extra=context)
    try:
        handler = (router or get_router()).find(interaction)
    except UnknownRoute:
        log.warning("no handler for interaction", extra=context)
        return _refusal(
            interaction,
            i18n.for_reply(interaction).gettext(
                "I don't know that command or button any more. It may have been removed or renamed; "
                "try `/kaltura-help` to see what is available."
            ),
        )
    try:
        check_policy(interaction)
        return _with_deprecation_notice(interaction, handler(interaction))
    except UserFacingError as exc:
        return _refusal(interaction, i18n.for_reply(interaction).render(exc.text))
    except (ServiceUnavailable, DeadlineExceeded):
        # Already logged once per outage by the breaker; the person hears it in time and nothing was done.
        return _refusal(interaction, i18n.for_reply(interaction).render(STORAGE_SLOW))
    except Exception:
        log.exception("interaction handler failed", extra=context)
        return _refusal(
            interaction,
            i18n.for_reply(interaction).gettext(
                "Something went wrong on our side while handling that. Please try again; if it keeps happening, "
                "tell a server admin (reference `{reference}`).",
                reference=interaction.id,
            ),
        )


def _with_deprecation_notice(interaction: Interaction, response: InteractionResponse) -> InteractionResponse:
    """A deprecated command still works and says, in its reply, what replaces it; so does the old shape of a
    command whose major version changed (a Discord client that has not refreshed its commands still sends it).

    The notice never pushes the answer past Discord's 2000 characters: it becomes an embed of its own instead."""
    if interaction.type != InteractionType.APPLICATION_COMMAND or response.type != 4 or response.data is None:
        return response
    definition = get_definition(interaction.command_name)
    if definition is None:
        return response
    t = i18n.for_reply(interaction)
    found = (deprecation_notice(definition, t), old_shape_notice(definition, interaction.subcommand, t))
    notice = "\n\n".join(text for text in found if text)
    if not notice:
        return response
    content = response.data.get("content")
    if not content:
        return InteractionResponse(response.type, {**response.data, "content": notice})
    if len(content) + 2 + len(notice) <= responses.MAX_CONTENT_LENGTH:
        return InteractionResponse(response.type, {**response.data, "content": f"{content}\n\n{notice}"})
    embeds = [*response.data.get("embeds", []), {"description": notice}]
    return InteractionResponse(response.type, {**response.data, "embeds": embeds})


def dispatch(payload: dict[str, Any], public_base_url: str | None = None) -> str:
    """The response body for a verified, parsed interaction."""
    return handle_interaction(Interaction(payload, public_base_url)).to_json()
