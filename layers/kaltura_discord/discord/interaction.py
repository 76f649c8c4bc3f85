"""A read-only view of one verified interaction payload, with the fields handlers need."""

from __future__ import annotations

from typing import Any

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5


class InteractionType:
    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


_SUBCOMMAND, _SUBCOMMAND_GROUP = 1, 2


class Interaction:
    """Wraps the payload Discord POSTs (see receiving-and-responding.mdx); never mutated."""

    __slots__ = ("_focused", "_path", "_values", "public_base_url", "raw")

    def __init__(self, raw: dict[str, Any], public_base_url: str | None = None) -> None:
        self.raw = raw
        self.public_base_url = public_base_url
        """Where this deployment's REST API is reached (join links), from the event that carried the interaction."""
        self._path: tuple[str, ...] | None = None
        self._values: dict[str, Any] = {}
        self._focused: str | None = None

    @property
    def id(self) -> str:
        return str(self.raw.get("id", ""))

    @property
    def type(self) -> int:
        value = self.raw.get("type")
        return value if isinstance(value, int) else 0

    @property
    def token(self) -> str:
        return str(self.raw.get("token", ""))

    @property
    def application_id(self) -> str:
        return str(self.raw.get("application_id", ""))

    @property
    def guild_id(self) -> str | None:
        value = self.raw.get("guild_id")
        return str(value) if value else None

    @property
    def locale(self) -> str | None:
        """The member's client language (a Discord locale such as ``de`` or ``pt-BR``); sent with every
        interaction except PING."""
        value = self.raw.get("locale")
        return value if isinstance(value, str) and value else None

    @property
    def guild_locale(self) -> str | None:
        """The server's preferred language (its Community setting; ``en-US`` by default), in a server only."""
        value = self.raw.get("guild_locale")
        return value if isinstance(value, str) and value else None

    @property
    def channel_id(self) -> str | None:
        value = self.raw.get("channel_id") or (self.raw.get("channel") or {}).get("id")
        return str(value) if value else None

    @property
    def data(self) -> dict[str, Any]:
        data = self.raw.get("data")
        return data if isinstance(data, dict) else {}

    @property
    def member(self) -> dict[str, Any]:
        member = self.raw.get("member")
        return member if isinstance(member, dict) else {}

    @property
    def user(self) -> dict[str, Any]:
        user = self.member.get("user") or self.raw.get("user")
        return user if isinstance(user, dict) else {}

    @property
    def user_id(self) -> str:
        return str(self.user.get("id", ""))

    @property
    def display_name(self) -> str:
        name = self.member.get("nick") or self.user.get("global_name") or self.user.get("username") or "Member"
        return str(name)

    @property
    def role_ids(self) -> frozenset[str]:
        roles = self.member.get("roles")
        return frozenset(str(r) for r in roles) if isinstance(roles, list) else frozenset()

    @property
    def permissions(self) -> int:
        """The member's computed permissions in this channel, as Discord sent them: a bitfield as a decimal string.

        Anything else (absent, negative such as ``"-1"``, not a number) counts as no permission at all, never as
        every bit set.
        """
        raw = self.member.get("permissions")
        text = str(raw) if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
        return int(text) if text.isascii() and text.isdigit() else 0

    def has_permission(self, flag: int) -> bool:
        perms = self.permissions
        return bool(perms & ADMINISTRATOR) or bool(perms & flag)

    @property
    def command_name(self) -> str:
        return str(self.data.get("name", ""))

    def _walk(self) -> None:
        path: list[str] = []
        options = self.data.get("options")
        while (
            isinstance(options, list)
            and len(options) == 1
            and options[0].get("type")
            in (
                _SUBCOMMAND,
                _SUBCOMMAND_GROUP,
            )
        ):
            path.append(str(options[0].get("name", "")))
            options = options[0].get("options")
        self._path = tuple(path)
        self._values = {
            str(o.get("name")): o.get("value") for o in (options or []) if isinstance(o, dict) and "name" in o
        }
        self._focused = next(
            (str(o.get("name")) for o in (options or []) if isinstance(o, dict) and o.get("focused")), None
        )

    @property
    def subcommand(self) -> tuple[str, ...]:
        """The subcommand group/subcommand names, outermost first (empty for a flat command)."""
        if self._path is None:
            self._walk()
        return self._path or ()

    @property
    def options(self) -> dict[str, Any]:
        """The leaf options by name (under the subcommand, if any)."""
        if self._path is None:
            self._walk()
        return self._values

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)

    def option_str(self, name: str, default: str = "") -> str:
        value = self.options.get(name)
        return value if isinstance(value, str) else default

    @property
    def focused_option(self) -> str | None:
        if self._path is None:
            self._walk()
        return self._focused

    @property
    def custom_id(self) -> str:
        return str(self.data.get("custom_id", ""))

    @property
    def custom_id_parts(self) -> list[str]:
        return self.custom_id.split(":")

    def modal_values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for row in self.data.get("components") or []:
            for item in (row or {}).get("components") or []:
                if isinstance(item, dict) and "custom_id" in item:
                    values[str(item["custom_id"])] = str(item.get("value") or "")
        return values

    @property
    def message_id(self) -> str | None:
        message = self.raw.get("message")
        return str(message["id"]) if isinstance(message, dict) and "id" in message else None
