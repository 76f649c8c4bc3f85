"""Replies in the member's language: the interaction's ``locale``, else ``guild_locale``, else English; the
deferred work (the worker) answers in the language of the interaction it came from."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kaltura_discord import i18n
from kaltura_discord.bot import jobs
from kaltura_discord.bot.dispatch import handle_interaction
from kaltura_discord.bot.help import help_embed
from kaltura_discord.bot.jobs import DispatchError, Job
from kaltura_discord.bot.worker import Worker
from kaltura_discord.discord.interaction import Interaction
from kaltura_discord.discord.rest import DiscordRest
from kaltura_discord.discord.router import Router, UserFacingError
from kaltura_discord.i18n import lazy_gettext
from tests.support.fakes import MemoryJobLedger
from tests.support.interactions import MANAGE_GUILD, command, interaction

pytestmark = pytest.mark.unit


def asked(payload: dict[str, Any], locale: str | None, guild_locale: str | None = "en-US") -> dict[str, Any]:
    """The payload as a member with this client language, in a server with that language, sends it."""
    for key, value in (("locale", locale), ("guild_locale", guild_locale)):
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    return payload


def run(payload: dict[str, Any]) -> dict[str, Any]:
    return handle_interaction(Interaction(payload)).to_dict()


def content(payload: dict[str, Any]) -> str:
    return str(run(payload)["data"]["content"])


def refusal(locale: str | None, guild_locale: str | None = "en-US") -> str:
    return content(asked(command("kaltura-status", permissions=0), locale, guild_locale))


ENGLISH_REFUSAL = "Only members with the Manage Server permission can check the bot's status."


def test_a_refusal_in_german_is_german() -> None:
    german = refusal("de")
    assert german == "Nur Mitglieder mit der Berechtigung „Server verwalten“ können den Status des Bots prüfen."
    assert german != refusal("en-US") == ENGLISH_REFUSAL


@pytest.mark.parametrize("locale", i18n.SHIPPED)
def test_every_shipped_language_answers_in_its_own_words(locale: str) -> None:
    assert refusal(locale) != ENGLISH_REFUSAL
    assert refusal(locale) == i18n.translator(locale).gettext(ENGLISH_REFUSAL)


def test_an_unshipped_language_falls_back_to_english() -> None:
    assert refusal("it") == ENGLISH_REFUSAL
    assert refusal(None, None) == ENGLISH_REFUSAL


def test_british_english_is_answered_in_english_whatever_the_server_speaks() -> None:
    assert refusal("en-GB", "de") == ENGLISH_REFUSAL


def test_the_servers_language_when_the_members_is_not_shipped() -> None:
    assert refusal("it", "fr") == i18n.translator("fr").gettext(ENGLISH_REFUSAL)
    assert refusal(None, "ja") == i18n.translator("ja").gettext(ENGLISH_REFUSAL)


def test_help_in_german_names_both_and_differs_from_english() -> None:
    german = run(asked(command("kaltura-help"), "de"))["data"]["embeds"][0]
    english = run(asked(command("kaltura-help"), "en-US"))["data"]["embeds"][0]
    assert german["title"] == "Kaltura-Meetings in Discord" != english["title"]
    assert "**/kaltura-hilfe** (`/kaltura-help`) `v" in german["description"]
    assert "Was dieser Bot kann" in german["description"]
    assert "**/kaltura-status** `v" in german["description"]  # the same name in German: shown once
    assert english == help_embed()
    assert run(asked(command("kaltura-help"), "it"))["data"]["embeds"][0] == english


@pytest.mark.parametrize("locale", [i18n.SOURCE_LOCALE, *i18n.SHIPPED])
def test_help_fits_an_embed_in_every_language(locale: str) -> None:
    embed = help_embed(locale)
    assert len(str(embed["description"])) <= 4096 and len(str(embed["title"])) <= 256


def test_a_disabled_command_is_refused_in_the_members_language() -> None:
    settings = [{"name": "key", "type": 3, "value": "commands.kaltura-help.enabled"}]
    settings.append({"name": "value", "type": 3, "value": "off"})
    answer = run(
        asked(
            command("kaltura-config", [{"name": "set", "type": 1, "options": settings}], permissions=MANAGE_GUILD),
            "es-ES",
        )
    )
    assert answer["data"]["content"].startswith("Se ha guardado `commands.kaltura-help.enabled`")
    assert content(asked(command("kaltura-help"), "es-ES")) == (
        "`/kaltura-help` está desactivado en este servidor. Un administrador del servidor puede activarlo con "
        "`/kaltura-config`."
    )
    assert "is disabled on this server" in content(asked(command("kaltura-help"), "en-US"))


def test_the_reset_question_and_its_buttons_are_translated() -> None:
    options = [{"name": "section", "type": 3, "value": "roles"}]
    payload = command("kaltura-config", [{"name": "reset", "type": 1, "options": options}], permissions=MANAGE_GUILD)
    answer = run(asked(payload, "pt-BR"))["data"]
    assert answer["content"].startswith("Redefinir as configurações de **roles** deste servidor")
    labels = [button["label"] for button in answer["components"][0]["components"]]
    assert labels == ["Redefinir", "Cancelar"]


def test_config_view_names_the_option_as_the_members_client_shows_it() -> None:
    payload = command("kaltura-config", [{"name": "view", "type": 1, "options": []}], permissions=MANAGE_GUILD)
    assert "`bereich`" in content(asked(payload, "de"))
    assert "`section`" in content(asked(payload, "en-US"))


def test_token_replies_in_the_members_language() -> None:
    listed = command("kaltura-token", [{"name": "list", "type": 1, "options": []}], permissions=MANAGE_GUILD)
    assert content(asked(listed, "ja")) == (
        "このサーバーには有効なAPIトークンがありません。`/kaltura-token create` で作成してください。"
    )
    too_long = [{"name": "lifetime_hours", "type": 4, "value": 48}]
    too_long.append({"name": "scopes", "type": 3, "value": "meetings:read meetings:write config:write"})
    created = command("kaltura-token", [{"name": "create", "type": 1, "options": too_long}], permissions=MANAGE_GUILD)
    french = content(asked(created, "fr"))
    assert "24\u00a0heures" not in french and "24 heures" in french and "`durée_heures`" in french


@pytest.fixture
def _signing_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from kaltura_discord.auth.keys import clear_keyring
    from tests.unit.auth.support import KEYS_JSON

    monkeypatch.setenv("JWT_SIGNING_KEYS", KEYS_JSON)
    clear_keyring()
    yield
    clear_keyring()


@pytest.mark.usefixtures("_signing_keys")
def test_the_old_shape_notice_is_translated() -> None:
    old = command("kaltura-token", [{"name": "scopes", "type": 3, "value": "meetings:read"}], permissions=MANAGE_GUILD)
    text = content(asked(old, "de"))
    assert "Du hast die alte Form von `/kaltura-token` verwendet" in text
    assert "`/kaltura-token` hat jetzt Unterbefehle" in text


def test_unknown_routes_and_crashes_are_said_in_the_members_language() -> None:
    router = Router()

    def crash(_interaction: Interaction) -> Any:
        raise RuntimeError("boom")

    def refuse(_interaction: Interaction) -> Any:
        raise UserFacingError(lazy_gettext("Pick a token from the list, or type `all`."))

    router.command("crash", crash)
    router.command("refuse", refuse)
    unknown = handle_interaction(Interaction(asked(command("gone"), "fr")), router).to_dict()
    assert unknown["data"]["content"].startswith("Je ne connais plus cette commande ou ce bouton.")
    crashed = asked(command("crash"), "ja")
    said = handle_interaction(Interaction(crashed), router).to_dict()["data"]["content"]
    assert said.startswith("処理中にこちら側で問題が発生しました。") and f"`{crashed['id']}`" in said
    refused = handle_interaction(Interaction(asked(command("refuse"), "pt-BR")), router).to_dict()
    assert refused["data"]["content"] == "Escolha um token da lista ou digite `all`."


class FailingDispatcher:
    def submit(self, job: Job) -> None:
        raise DispatchError("ReadTimeoutError")


@pytest.fixture
def _no_dispatcher() -> Iterator[None]:
    yield
    jobs.install_dispatcher(None)


@pytest.mark.usefixtures("_no_dispatcher")
def test_a_failed_hand_off_is_said_in_the_members_language() -> None:
    jobs.install_dispatcher(FailingDispatcher())
    text = content(asked(command("kaltura-status", permissions=MANAGE_GUILD), "de"))
    assert text.startswith("Ich konnte das gerade nicht zur Ausführung weitergeben")


# -- the worker -----------------------------------------------------------------------------------------------------


class Edits(DiscordRest):
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def edit_original(self, token: str, body: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        self.bodies.append(body)
        return {}


def job_in(locale: str | None, guild_locale: str | None = "en-US") -> Job:
    payload = asked(interaction(2, {"id": "1", "name": "kaltura-status", "type": 1}), locale, guild_locale)
    return Job.for_interaction("status", Interaction(payload), {})


def test_a_job_carries_the_interactions_languages() -> None:
    job = job_in("pt-BR", "de")
    assert (job.locale, job.guild_locale) == ("pt-BR", "de")
    assert Job.from_dict(job.to_dict()) == job
    older = {key: value for key, value in job.to_dict().items() if key not in ("locale", "guild_locale")}
    assert Job.from_dict(older).locale is None  # a job handed over by an older version: English


@pytest.mark.parametrize(
    ("raised", "german"),
    [
        (RuntimeError("boom"), "Bei der Ausführung ist auf unserer Seite etwas schiefgelaufen."),
        (UserFacingError(lazy_gettext("Reset cancelled; nothing changed.")), "Zurücksetzen abgebrochen"),
    ],
)
def test_the_worker_answers_in_the_language_of_the_interaction(raised: Exception, german: str) -> None:
    def failing(_job: Job, _rest: DiscordRest) -> dict[str, Any]:
        raise raised

    edits = Edits()
    worker = Worker(ledger=MemoryJobLedger(), rest=edits)
    worker._functions["status"] = failing
    worker.run(job_in("de").to_dict())
    worker.run(job_in("en-US").to_dict())
    german_text, english_text = (str(body["content"]) for body in edits.bodies)
    assert german_text.startswith(german)
    assert english_text == i18n.translator(None).render(english_text) and english_text != german_text


def test_the_status_report_is_in_the_members_language(monkeypatch: pytest.MonkeyPatch) -> None:
    from kaltura_discord.bot import status

    monkeypatch.setattr(status, "_storage", lambda _t: None)
    monkeypatch.setattr(
        status, "_kaltura", lambda t: t.ngettext("{n} room on the account", "{n} rooms on the account", 1234)
    )
    report = str(status.run_status(job_in("de"), Edits())["content"])
    assert "Speicher (DynamoDB): ok (" in report and "1.234 Räume im Konto" in report
