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
from kaltura_discord.meetings.model import Meeting, MeetingError
from kaltura_discord.meetings.service import MeetingService
from tests.support.fakes import MemoryConfigTable, MemoryJobLedger
from tests.support.interactions import CHANNEL_ID, GUILD_ID, MANAGE_GUILD, USER_ID, command, interaction
from tests.unit.api.fakes import FakeRooms, MemoryMeetings

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


# -- the meetings side ------------------------------------------------------------------------------------------------
#
# Replies to a member are in their language; the card and what the channel reads are in the server's
# (notifications.locale, else the guild_locale kept with the meeting); untrusted titles stay escaped in every language.

HOSTILE = "@everyone **Ops** <@123> `x` [a](https://e.example)"
"""A title that would ping, format, mention and link if it were not escaped."""
LANGUAGES = [i18n.SOURCE_LOCALE, *i18n.SHIPPED]


class Meetings(MemoryMeetings):
    """The unit tests' meetings table, with the scheduled index (empty) and the card's message kept."""

    def list_scheduled(self, guild_id: str, limit: int = 25) -> list[Meeting]:
        return [m for (g, _), m in self.items.items() if g == guild_id and m.status == "scheduled"][:limit]

    def set_message(self, meeting: Meeting, channel_id: str, message_id: str) -> None:
        key = (meeting.guild_id, meeting.meeting_id)
        self.items[key] = self.items[key].with_changes(channel_id=channel_id, message_id=message_id)

    def find(self, guild_id: str, meeting_id: str) -> Meeting | None:
        return self.items.get((guild_id, meeting_id))


class Channel(DiscordRest):
    """Discord as the worker sees it: the interaction's original message and one channel of the server."""

    def __init__(self) -> None:
        self.originals: list[dict[str, Any]] = []
        self.posted: list[dict[str, Any]] = []

    def edit_original(self, token: str, body: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        self.originals.append(body)
        return {"id": "1000000000000000900", "channel_id": CHANNEL_ID}

    def get_channel(self, channel_id: str, **_kwargs: Any) -> dict[str, Any]:
        return {"id": channel_id, "guild_id": GUILD_ID, "type": 0}

    def create_message(self, channel_id: str, body: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        self.posted.append(body)
        return {"id": "1000000000000000901"}


@pytest.fixture
def meetings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Meetings]:
    from kaltura_discord.bot import attendance
    from kaltura_discord.bot import meetings as bot

    table = Meetings()
    bot.set_service(MeetingService(table, FakeRooms()))
    monkeypatch.setattr(bot, "after_end", lambda _config, _meeting: None)  # no recordings or attendance storage
    monkeypatch.setattr(attendance, "count", lambda _meeting: 3)
    yield table
    bot.set_service(None)


def stored(table: Meetings, **changes: Any) -> Meeting:
    meeting = Meeting(
        GUILD_ID, "ptc4k6dgjm", "Retro", "meeting", USER_ID, "Ada", 1_700_000_000.0, "active", room_id="0_abc"
    )
    meeting = meeting.with_changes(**changes)
    table.items[(GUILD_ID, meeting.meeting_id)] = meeting
    return meeting


def option(name: str, value: Any, kind: int = 3) -> dict[str, Any]:
    return {"name": name, "type": kind, "value": value}


def notifications(memory_config: MemoryConfigTable, **settings: Any) -> None:
    overrides = {"enabled": True, "meeting_started": True, "meeting_reminder": True, "channel_id": CHANNEL_ID}
    memory_config.put(GUILD_ID, {"notifications": {**overrides, **settings}}, 1)


def test_a_start_refused_for_its_title_is_in_the_members_language() -> None:
    payload = command("kaltura-start", [option("type", "meeting"), option("title", "ab")])
    assert content(asked(payload, "de")) == "Der Titel muss 3 bis 100 Zeichen lang sein (er hat 2)."
    assert content(asked(payload, "en-US")) == "The title must be 3 to 100 characters long (it has 2)."


@pytest.mark.parametrize("locale", LANGUAGES)
def test_joining_an_ended_meeting_is_refused_in_the_members_language_with_the_title_escaped(
    meetings: Meetings, locale: str
) -> None:
    from kaltura_discord.text import escape_markdown

    ended = stored(meetings, title=HOSTILE, status="ended", ended_at=1_700_000_600)
    text = content(asked(command("kaltura-join", [option("meeting", ended.meeting_id)]), locale))
    english = "**{title}** has ended, so it can't be joined any more."
    assert text == i18n.translator(locale).gettext(english, title=escape_markdown(HOSTILE))
    assert (text == english.format(title=escape_markdown(HOSTILE))) == (locale == i18n.SOURCE_LOCALE)
    assert "@everyone" not in text and "<@123>" not in text and "**Ops**" not in text and "[a](" not in text


def test_the_end_reply_is_in_the_members_language(meetings: Meetings) -> None:
    from kaltura_discord.bot import meetings as bot

    live = stored(meetings)
    payload = asked(command("kaltura-end", [option("meeting", live.meeting_id)]), "de", guild_locale="fr")
    job = Job.for_interaction("meeting_end", Interaction(payload), {"meeting_id": live.meeting_id, "via": "command"})
    body = bot.run_end(job, Channel())
    assert body is not None and body["content"] == "**Retro** wurde beendet. 3 Personen sind beigetreten."


@pytest.mark.parametrize(
    ("start", "locale", "said"),
    [
        ("2020-01-01T10:00Z", "de", "<t:1577872800:F> liegt in der Vergangenheit. Wähle eine Zeit in der Zukunft"),
        ("2026-12-24T18:00", "ja", "`2026-12-24T18:00` を開始日時として読み取れませんでした。"),
        ("2026-12-24T18:00", "en-US", "I couldn't read `2026-12-24T18:00` as a start time."),
    ],
)
def test_schedule_refusals_are_in_the_members_language(start: str, locale: str, said: str) -> None:
    options = [option("type", "meeting"), option("title", "Planning"), option("start", start)]
    assert content(asked(command("kaltura-schedule", options), locale)).startswith(said)


def test_the_empty_list_is_in_the_members_language(meetings: Meetings) -> None:
    assert content(asked(command("kaltura-list"), "pt-BR")) == (
        "Nenhuma reunião está em andamento neste servidor. Inicie uma com `/kaltura-start`."
    )
    stored(meetings, title=HOSTILE)
    listed = run(asked(command("kaltura-list"), "fr", guild_locale="de"))["data"]
    [embed] = listed["embeds"]
    assert embed["title"] == "Réunions en cours (1)" and embed["footer"]["text"] == "Page 1 sur 1"
    assert "· Réunion · hôte <@1000000000000000300> · démarrée <t:1700000000:R> ·" in embed["description"]
    assert "@everyone" not in embed["description"] and "**Ops**" not in embed["description"]


def start_as(member_locale: str, guild_locale: str) -> tuple[Meeting, Channel]:
    from kaltura_discord.bot import meetings as bot

    payload = asked(command("kaltura-start", [option("type", "webinar"), option("title", HOSTILE)]), member_locale)
    payload = asked(payload, member_locale, guild_locale)
    job = Job.for_interaction("meeting_start", Interaction(payload), {"type": "webinar", "title": HOSTILE})
    discord = Channel()
    bot.run_start(job, discord)
    [meeting] = bot.service().list_active(GUILD_ID)
    return meeting, discord


def labels(body: dict[str, Any]) -> list[str]:
    return [button["label"] for row in body["components"] for button in row["components"]]


def test_the_card_and_the_notification_are_in_the_servers_language_not_the_members(
    meetings: Meetings, memory_config: MemoryConfigTable
) -> None:
    notifications(memory_config)
    meeting, discord = start_as("de", "fr")
    assert meeting.guild_locale == "fr"  # kept for what is written later without an interaction
    [card] = discord.originals
    fields = card["embeds"][0]["fields"]
    assert [f["name"] for f in fields] == ["Type", "Hôte", "État"]
    assert [f["value"] for f in fields][::2] == ["Webinaire", "En direct"]
    assert labels(card) == ["Rejoindre", "Partager", "Terminer"]
    [notice] = discord.posted
    assert "(Webinaire)" in notice["content"] and "le bouton «\u00a0Rejoindre\u00a0»" in notice["content"]
    assert "@everyone" not in notice["content"] and notice["allowed_mentions"] == {"parse": []}


def test_the_servers_notification_language_setting_wins(meetings: Meetings, memory_config: MemoryConfigTable) -> None:
    notifications(memory_config, locale="ja")
    _meeting, discord = start_as("de", "fr")
    assert labels(discord.originals[0]) == ["参加する", "共有する", "終了する"]
    content = discord.posted[0]["content"]
    assert "**@\u200beveryone" in content
    assert "**\uff08ウェビナー\uff09が始まりました。" in content  # the shipped template, in Japanese too


def test_a_reminder_speaks_the_language_kept_with_the_meeting(
    meetings: Meetings, memory_config: MemoryConfigTable
) -> None:
    from kaltura_discord.bot import schedule

    notifications(memory_config)
    meeting = stored(meetings, status="scheduled", scheduled_start=1_900_000_000, guild_locale="es-ES")
    job = Job.scheduled(
        "meeting_reminder", meeting.meeting_id, 0, guild_id=GUILD_ID, payload={"meeting_id": "ptc4k6dgjm"}
    )
    discord = Channel()
    schedule.run_reminder(job, discord)
    [reminder] = discord.posted
    assert (
        "**Retro** (Reunión)" in reminder["content"]
        and "Usa /kaltura\\-join o el botón «Unirse»" in reminder["content"]
    )
    older = stored(meetings, status="scheduled", scheduled_start=1_900_000_000)  # recorded before the locale was kept
    assert older.guild_locale is None
    schedule.run_reminder(job, discord)
    assert "(Meeting)" in discord.posted[-1]["content"]


def test_the_meetings_language_is_stored_and_read_back() -> None:
    from kaltura_discord.meetings.repository import _from_item, _to_item

    meeting = Meeting(GUILD_ID, "ptc4k6dgjm", "Retro", "meeting", USER_ID, "Ada", 1_700_000_000.0, guild_locale="pt-BR")
    assert _from_item(_to_item(meeting)) == meeting
    assert _from_item(_to_item(meeting.with_changes(guild_locale=None))).guild_locale is None


@pytest.mark.parametrize("locale", LANGUAGES)
def test_cards_and_events_keep_untrusted_titles_inert_in_every_language(locale: str) -> None:
    from kaltura_discord.bot.meetings import meeting_message
    from kaltura_discord.bot.schedule import event_body, scheduled_message
    from kaltura_discord.text import escape_markdown

    t = i18n.translator(locale)
    meeting = Meeting(GUILD_ID, "ptc4k6dgjm", HOSTILE, "classroom", USER_ID, "<@1> @here", 1_700_000_000.0)
    ended = meeting_message(meeting.with_changes(status="ended", ended_at=1_700_000_600), t)
    cancelled = scheduled_message(meeting.with_changes(status="cancelled", scheduled_start=1, scheduled_end=61), t=t)
    for body in (ended, cancelled):
        assert escape_markdown(HOSTILE) in body["content"] and "@everyone" not in body["content"]
        assert body["allowed_mentions"] == {"parse": []}
    scheduled = meeting.with_changes(status="scheduled", scheduled_start=1_900_000_000, scheduled_end=1_900_003_600)
    location = event_body(scheduled, t)["entity_metadata"]["location"]
    assert "/kaltura-join ptc4k6" in location and len(location) <= 100
    assert (location == event_body(scheduled)["entity_metadata"]["location"]) == (locale == i18n.SOURCE_LOCALE)


def test_the_rest_apis_meeting_errors_stay_english() -> None:
    from kaltura_discord.api.errors import to_api_error
    from kaltura_discord.meetings.model import MeetingRequest

    with pytest.raises(MeetingError) as refused:
        MeetingRequest.parse("meeting", "ab")
    error = to_api_error(refused.value)
    assert (error.status, error.message) == (422, "The title must be 3 to 100 characters long (it has 2).")
    assert type(error.message) is str  # plain English text, not a lazy message
    table = Meetings()
    stored(table, status="scheduled", scheduled_start=1_900_000_000)
    with pytest.raises(MeetingError) as early:
        MeetingService(table, FakeRooms()).live(GUILD_ID, "ptc4k6dgjm")
    assert to_api_error(early.value).message == (
        "Retro starts 2030-03-17T17:46:40Z (2030-03-17T17:46:40Z). Join links work once it has started."
    )
