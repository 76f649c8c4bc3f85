"""Speaking the member's language: one gettext catalog per locale, read with the standard library, lazily.

The catalogs are ``translations/<locale>/LC_MESSAGES/messages.po``, compiled to ``.mo`` next to them
(``python scripts/i18n.py compile``; docs/localization.md). The message ids are the English texts themselves
(gettext's convention): the code reads as what the member sees, English needs no catalog at all, and a text that
has no translation yet falls back to its English words rather than to an opaque key.

Nothing here is loaded on the PING path, and a catalog is read (one small file) only when a reply in its language
is first needed, once per container.

Which language:

- a reply to a member (:func:`for_reply`): the interaction's ``locale`` (the member's client language) if we ship
  it, else the server's ``guild_locale`` if we ship that, else English;
- a message in a channel (:func:`for_channel`): the server's ``notifications.locale`` setting if an admin chose
  one, else ``guild_locale``, else English;
- ``en-GB`` is answered in ``en-US`` and ``es-419`` in ``es-ES``, as Discord falls back for commands.

Texts are ``str.format`` templates with named placeholders: ``t.gettext("Saved `{key}`.", key=key)``. Numbers
passed as ``int`` or ``float`` are written the locale's way (``1.000`` in German); pass a ``str`` for ids and
versions. :func:`lazy_gettext` makes a :class:`Message`, a text translated later, by whoever shows it: raise
``UserFacingError(lazy_gettext(...))`` and the dispatcher (or the worker) answers in the member's language.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    import gettext

DOMAIN: Final = "messages"
TRANSLATIONS_DIR: Final = os.path.join(os.path.dirname(os.path.abspath(__file__)), "translations")
SOURCE_LOCALE: Final = "en-US"
"""The language the message ids are written in."""
SHIPPED: Final[tuple[str, ...]] = ("de", "fr", "es-ES", "pt-BR", "ja")
"""Discord locales with a catalog (``translations/<de, fr, es_ES, pt_BR, ja>``), besides the English source."""
FALLBACKS: Final[dict[str, str]] = {"en-GB": "en-US", "es-419": "es-ES"}
"""Discord's own fallbacks for command localizations (application-commands.mdx, "Locale fallbacks")."""
DISCORD_LOCALES: Final[tuple[str, ...]] = (
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl", "no", "pl", "pt-BR",
    "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th", "zh-CN", "ja", "zh-TW", "ko",
)  # fmt: skip
"""Every locale Discord sends (locales.mdx), in its order."""

NAME: Final = "name"
DESCRIPTION: Final = "description"
CHOICE: Final = "choice"
"""Message contexts (``msgctxt``) of the command definitions' texts: names, descriptions and choice names."""
TEMPLATE: Final = "template"
"""The context of the shipped default templates (``config/default_config.json``): a server that has not changed a
template reads it in the channel's language; a template an admin wrote is in no catalog and stays as written."""

_NUMBER_SYMBOLS: Final[dict[str, tuple[str, str]]] = {
    "en-US": (",", "."),
    "de": (".", ","),
    "fr": ("\u202f", ","),
    "es-ES": (".", ","),
    "pt-BR": (".", ","),
    "ja": (",", "."),
}
"""(group, decimal) separators per locale, as CLDR has them (the tests compare with Babel's ``format_decimal``)."""
_CANONICAL: Final = {code.lower(): code for code in DISCORD_LOCALES}


class HasLocales(Protocol):
    """An interaction, or a job made from one: the member's and the server's locale as Discord sent them."""

    @property
    def locale(self) -> str | None: ...

    @property
    def guild_locale(self) -> str | None: ...


def catalog_path(locale: str) -> str:
    """Where the compiled catalog of a shipped Discord locale lives (``es-ES`` -> ``translations/es_ES/...``)."""
    return os.path.join(TRANSLATIONS_DIR, locale.replace("-", "_"), "LC_MESSAGES", f"{DOMAIN}.mo")


def resolve(locale: str | None) -> str | None:
    """The locale a text in ``locale`` is given in: the source, a shipped one, or None when we have neither.

    Case and ``_`` for ``-`` do not matter (``pt_br`` is ``pt-BR``); Discord's fallbacks apply (``en-GB``)."""
    if not locale:
        return None
    code = _CANONICAL.get(locale.strip().replace("_", "-").lower())
    if code is None:
        return None
    code = FALLBACKS.get(code, code)
    return code if code == SOURCE_LOCALE or code in SHIPPED else None


class Translator:
    """The texts of one locale. Get one from :func:`translator`, :func:`for_reply` or :func:`for_channel`."""

    __slots__ = ("_catalog", "locale")

    def __init__(self, locale: str, catalog: gettext.NullTranslations | None = None) -> None:
        self.locale = locale
        """The Discord locale served: ``en-US`` or one of :data:`SHIPPED`."""
        self._catalog = catalog

    def __repr__(self) -> str:
        return f"Translator({self.locale!r})"

    def lookup(self, msgid: str, context: str | None = None) -> str:
        """The translation of ``msgid`` as written in the catalog (placeholders not filled in); ``msgid`` itself
        when the catalog has none."""
        if self._catalog is None:
            return msgid
        if context is None:
            return self._catalog.gettext(msgid)
        return self._catalog.pgettext(context, msgid)

    def name(self, name: str) -> str:
        """A command, subcommand or option name as the member's client shows it (``section`` is ``bereich`` in
        German): for replies that tell them which option to fill in."""
        return self.lookup(name, NAME)

    def gettext(self, msgid: str, /, **params: object) -> str:
        return self._format(self.lookup(msgid), msgid, params)

    def pgettext(self, context: str, msgid: str, /, **params: object) -> str:
        return self._format(self.lookup(msgid, context), msgid, params)

    def ngettext(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        """The form for ``n`` by the locale's plural rule (the ``Plural-Forms`` of its catalog); ``{n}`` in the
        texts is ``n``, written the locale's way."""
        if self._catalog is None:
            text = singular if n == 1 else plural
        else:
            text = self._catalog.ngettext(singular, plural, n)
        return self._format(text, singular if n == 1 else plural, {"n": n, **params})

    def number(self, value: float) -> str:
        """``value`` with the locale's digit grouping and decimal sign (at most three decimals)."""
        group, decimal = _NUMBER_SYMBOLS.get(self.locale, _NUMBER_SYMBOLS[SOURCE_LOCALE])
        text = f"{value:,}" if isinstance(value, int) else f"{value:,.3f}".rstrip("0").rstrip(".")
        return text.translate({ord(","): group, ord("."): decimal})

    def render(self, text: str) -> str:
        """A :class:`Message` in this locale; any other text (an admin's template, a name) as it is."""
        if not isinstance(text, Message):
            return text
        if text.plural is not None:
            return self.ngettext(text.msgid, text.plural, text.n or 0, **text.params)
        if text.context is not None:
            return self.pgettext(text.context, text.msgid, **text.params)
        return self.gettext(text.msgid, **text.params)

    def _format(self, text: str, source: str, params: dict[str, object]) -> str:
        values = {name: self._value(value) for name, value in params.items()}
        try:
            return text.format_map(values)
        except (KeyError, IndexError, ValueError):
            if text is source:
                raise  # the English text itself is wrong: a bug the tests must see
            from kaltura_discord.logs import get_logger

            get_logger(__name__).error("broken translation", extra={"locale": self.locale, "msgid": source[:80]})
            return source.format_map(values)

    def _value(self, value: object) -> object:
        if isinstance(value, Message):
            return self.render(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self.number(value)
        return value


class Message(str):
    """A text translated when it is shown. As a ``str`` it is the English text with its placeholders filled in, so
    code that has not adopted localization yet (or a log line) still reads it; :meth:`Translator.render` gives it
    in a member's language. Make one with :func:`lazy_gettext` or :func:`lazy_ngettext`."""

    msgid: str
    plural: str | None
    n: int | None
    params: dict[str, object]
    context: str | None

    def __new__(
        cls,
        msgid: str,
        /,
        *,
        plural: str | None = None,
        n: int | None = None,
        params: dict[str, object] | None = None,
        context: str | None = None,
    ) -> Message:
        params = dict(params or {})
        english = _SOURCE.ngettext(msgid, plural, n or 0, **params) if plural is not None else None
        self = super().__new__(cls, english if english is not None else _SOURCE.gettext(msgid, **params))
        self.msgid, self.plural, self.n, self.params, self.context = msgid, plural, n, params, context
        return self


def lazy_gettext(msgid: str, /, **params: object) -> Message:
    """A text to translate when it is shown (extracted into the catalogs like ``gettext``)."""
    return Message(msgid, params=params)


def lazy_ngettext(singular: str, plural: str, n: int, /, **params: object) -> Message:
    """A text with plural forms to translate when it is shown; ``{n}`` is ``n``."""
    return Message(singular, plural=plural, n=n, params=params)


def lazy_name(name: str) -> Message:
    """A command, subcommand or option name, shown as the member's client shows it (:meth:`Translator.name`)."""
    return Message(name, context=NAME)


_SOURCE: Final = Translator(SOURCE_LOCALE)
_translators: dict[str, Translator] = {SOURCE_LOCALE: _SOURCE}


def _load(locale: str) -> gettext.NullTranslations | None:
    import gettext

    try:
        with open(catalog_path(locale), "rb") as file:
            return gettext.GNUTranslations(file)
    except OSError as exc:
        from kaltura_discord.logs import get_logger

        get_logger(__name__).error("catalog missing; answering in English", extra={"locale": locale, "error": str(exc)})
        return None


def translator(locale: str | None) -> Translator:
    """The texts of ``locale`` (see :func:`resolve`), English when we do not ship it. Read once per container."""
    code = resolve(locale) or SOURCE_LOCALE
    found = _translators.get(code)
    if found is None:
        found = _translators[code] = Translator(code, _load(code))
    return found


def for_reply(source: HasLocales) -> Translator:
    """For an answer to a member: their ``locale``, else the server's ``guild_locale``, else English."""
    return translator(resolve(source.locale) or source.guild_locale)


def for_channel(guild_locale: str | None, setting: str | None = None) -> Translator:
    """For a message everyone in a channel reads (a notification, the meeting card): the server's
    ``notifications.locale`` setting when it names a language (not ``server``), else ``guild_locale``."""
    chosen = resolve(setting) if setting and setting != "server" else None
    return translator(chosen or guild_locale)


def loaded_locales() -> tuple[str, ...]:
    """The catalogs this container has read so far (the tests check that PING reads none)."""
    return tuple(sorted(code for code in _translators if code != SOURCE_LOCALE))


def localizations(text: str, context: str) -> dict[str, str]:
    """A command field's ``*_localizations`` for Discord: every shipped locale whose translation differs from the
    English text (Discord ignores identical values, and a name kept in English is no localization)."""
    found: dict[str, str] = {}
    for code in SHIPPED:
        translated = translator(code).lookup(text, context)
        if translated and translated != text:
            found[code] = translated
    return found
