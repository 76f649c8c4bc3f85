#!/usr/bin/env python3
"""The message catalogs (gettext, with Babel): extract the texts, merge them into each language, compile, check.

    python scripts/i18n.py extract       # rewrite translations/messages.pot from the code and the command definitions
    python scripts/i18n.py update        # merge the template into every language's messages.po (new texts empty)
    python scripts/i18n.py init LOCALE   # start the catalog of a new Discord locale, e.g. `init it`
    python scripts/i18n.py compile       # messages.po -> messages.mo, the files the bot reads (committed)
    python scripts/i18n.py check         # fail when the template, a catalog or a compiled file is stale or
                                         # incomplete (also run by the tests)

The catalogs live in layers/kaltura_discord/translations/ (docs/localization.md). Texts come from two places:

- the Python code, wherever it calls ``gettext``, ``ngettext``, ``pgettext``, ``lazy_gettext`` or ``lazy_ngettext``
  with literal strings (``local/`` and ``cli/`` are not read: nobody in Discord sees their texts);
- the command definitions (commands/definitions.py): every name (message context ``name``), description
  (``description``) and choice name (``choice``), with a comment saying where it is shown and its limits.

Exit codes: 0 done (or in step), 1 something is stale or incomplete (the messages say what to run), 2 usage.
"""

from __future__ import annotations

import argparse
import io
import string
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from kaltura_discord import __version__, i18n
from kaltura_discord.commands.definitions import COMMANDS, SUB_COMMAND, SUB_COMMAND_GROUP, Option

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "layers" / "kaltura_discord"
TRANSLATIONS = Path(i18n.TRANSLATIONS_DIR)
TEMPLATE = TRANSLATIONS / f"{i18n.DOMAIN}.pot"
DEFINITIONS = "layers/kaltura_discord/commands/definitions.py"
DEFAULTS = "config/default_config.json"
KEYWORDS: dict[str, Any] = {
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
}
METHOD_MAP = [("local/**", "ignore"), ("cli/**", "ignore"), ("**.py", "python")]
COMMENT_TAGS = ("TRANSLATORS:",)
WIDTH = 100
NAME_NOTE = "A name: lowercase, no spaces (- or _), 1-32 characters; the English name itself keeps it English."
LENGTH_NOTE = "Discord allows 1-100 characters."
TEMPLATE_NOTES = [
    "Keep every {placeholder} as it is (the bot fills them in) and the **bold**.",
    "No @everyone, @here or role mentions.",
]
HEADER = "# The messages of kaltura-discord: rewritten by `python scripts/i18n.py extract` (docs/localization.md).\n#"
CHECK_HINT = "run `python scripts/i18n.py extract && python scripts/i18n.py update`, translate, then `compile`"


def directory(locale: str) -> Path:
    """The catalog folder of a Discord locale (``es-ES`` -> ``translations/es_ES``)."""
    return TRANSLATIONS / locale.replace("-", "_") / "LC_MESSAGES"


def po_path(locale: str) -> Path:
    return directory(locale) / f"{i18n.DOMAIN}.po"


def mo_path(locale: str) -> Path:
    return Path(i18n.catalog_path(locale))


def babel_locale(locale: str) -> Locale:
    return Locale.parse(locale.replace("-", "_"))


# -- extracting -------------------------------------------------------------------------------------------------------


def _definition_texts() -> Iterator[tuple[str, str, list[str]]]:
    """(context, text, notes for translators) for every name, description and choice name of the commands."""

    def option_texts(command: str, path: str, option: Option) -> Iterator[tuple[str, str, list[str]]]:
        where = f"/{command} {path}{option.name}"
        kind = "subcommand" if option.type in (SUB_COMMAND, SUB_COMMAND_GROUP) else "option"
        yield i18n.NAME, option.name, [f"{where}: {kind} name.", NAME_NOTE]
        yield i18n.DESCRIPTION, option.description, [f"{where}: {kind} description.", LENGTH_NOTE]
        for choice in option.choices:
            yield i18n.CHOICE, choice.name, [f"{where}: a choice in the list.", LENGTH_NOTE]
        inner = f"{path}{option.name} > " if kind == "option" else f"{path}{option.name} "
        for child in option.options:
            yield from option_texts(command, inner, child)

    for command in COMMANDS:
        yield i18n.NAME, command.name, [f"/{command.name}: command name; keep the kaltura- prefix.", NAME_NOTE]
        yield i18n.DESCRIPTION, command.description, [f"/{command.name}: command description.", LENGTH_NOTE]
        for option in command.options:
            yield from option_texts(command.name, "", option)


def _default_templates() -> Iterator[tuple[str, list[str]]]:
    """(text, notes) for each shipped default template: a server that keeps one reads it in its language."""
    import json

    defaults = json.loads((ROOT / DEFAULTS).read_text(encoding="utf-8"))
    for kind, text in defaults["notifications"]["templates"].items():
        yield text, [f"Default notifications.templates.{kind}.", *TEMPLATE_NOTES]
    yield defaults["share"]["template"], ["Default share.template (the Share button's message).", *TEMPLATE_NOTES]


def extract() -> Catalog:
    """The template as the code and the definitions have it now."""
    catalog = Catalog(
        project="kaltura-discord", version=__version__, charset="utf-8", fuzzy=False, header_comment=HEADER
    )
    found = extract_from_dir(
        PACKAGE,
        method_map=METHOD_MAP,
        keywords=KEYWORDS,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in found:
        location = f"layers/kaltura_discord/{Path(filename).as_posix()}"
        catalog.add(message, None, [(location, lineno)], auto_comments=comments, context=context)
    for context, text, notes in _definition_texts():
        catalog.add(text, None, [(DEFINITIONS, 0)], auto_comments=notes, context=context)
    for text, notes in _default_templates():
        catalog.add(text, None, [(DEFAULTS, 0)], auto_comments=notes, context=i18n.TEMPLATE)
    return catalog


def _key(message: Any) -> tuple[str, str]:
    """(context, id) of a message; plural ids joined by NUL."""
    ident = message.id if isinstance(message.id, str) else "\x00".join(message.id)
    return message.context or "", ident


def _shape(catalog: Catalog) -> list[tuple[Any, ...]]:
    """What must match between two templates: ids, plurals, contexts, where they come from, translator notes."""
    return sorted(
        (*_key(m), tuple(sorted({path for path, _ in m.locations})), tuple(m.auto_comments)) for m in catalog if m.id
    )


def _write(path: Path, catalog: Catalog) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=WIDTH, include_lineno=False, ignore_obsolete=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=babel_locale(locale) if locale else None, abort_invalid=True)


def write_template() -> bool:
    """Rewrite the template if its messages changed; True when it did."""
    fresh = extract()
    if TEMPLATE.is_file() and _shape(_read(TEMPLATE)) == _shape(fresh):
        return False
    _write(TEMPLATE, fresh)
    return True


# -- per language -----------------------------------------------------------------------------------------------------


def update(locale: str) -> None:
    """Merge the template into one language's catalog: new texts arrive empty (or fuzzy, with a guess), texts no
    longer used are dropped."""
    catalog = _read(po_path(locale), locale)
    catalog.update(_read(TEMPLATE), update_creation_date=False)
    catalog.obsolete.clear()
    _write(po_path(locale), catalog)


def init(locale: str) -> Path:
    template = _read(TEMPLATE)
    catalog = Catalog(
        locale=babel_locale(locale),
        project="kaltura-discord",
        version=__version__,
        charset="utf-8",
        fuzzy=False,
        header_comment=f"# {babel_locale(locale).english_name} messages of kaltura-discord (docs/localization.md).\n#",
    )
    for message in template:
        if message.id:
            catalog.add(
                message.id,
                ("", "") if isinstance(message.id, tuple) else "",
                message.locations,
                auto_comments=message.auto_comments,
                context=message.context,
            )
    if po_path(locale).exists():
        raise SystemExit(f"{po_path(locale).relative_to(ROOT)} already exists: use `update`")
    _write(po_path(locale), catalog)
    return po_path(locale)


def compiled(locale: str) -> bytes:
    """The ``.mo`` bytes of one language's catalog (fuzzy translations left out, as gettext does)."""
    buffer = io.BytesIO()
    write_mo(buffer, _read(po_path(locale), locale), use_fuzzy=False)
    return buffer.getvalue()


def compile_all() -> list[Path]:
    changed = []
    for locale in i18n.SHIPPED:
        data = compiled(locale)
        path = mo_path(locale)
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
            changed.append(path)
    return changed


# -- checking ---------------------------------------------------------------------------------------------------------


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a ``str.format`` text (``{{`` is a brace, not a field)."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def translation_problems(locale: str) -> list[str]:
    """Texts of one language that are missing, fuzzy, unknown to the template or with other placeholders."""
    where = po_path(locale).relative_to(ROOT)
    if not po_path(locale).is_file():
        return [f"{where} is missing: run `python scripts/i18n.py init {locale}`"]
    catalog = _read(po_path(locale), locale)
    template = {_key(m) for m in _read(TEMPLATE) if m.id}
    present = {_key(m): m for m in catalog if m.id}
    problems = [f"{where}: no entry for {key[1][:60]!r} ({CHECK_HINT})" for key in sorted(template - set(present))]
    problems += [f"{where}: {key[1][:60]!r} is not in the template ({CHECK_HINT})" for key in set(present) - template]
    expected = Catalog(locale=babel_locale(locale)).plural_forms
    if catalog.plural_forms != expected:
        problems.append(f"{where}: Plural-Forms is {catalog.plural_forms!r}, Babel's rule for {locale} is {expected!r}")
    for key, message in sorted(present.items()):
        shown = f"{where}: {key[1][:60]!r}"
        if message.fuzzy:
            problems.append(f"{shown} is fuzzy: check the translation and remove the fuzzy flag")
        if isinstance(message.id, tuple):
            forms = list(message.string) if isinstance(message.string, tuple | list) else [message.string]
            if len(forms) != catalog.num_plurals or not all(forms):
                problems.append(f"{shown} needs all {catalog.num_plurals} plural form(s)")
                continue
            allowed = placeholders(message.id[0]) | placeholders(message.id[1])
            for form in forms:
                if not placeholders(form) <= allowed:
                    problems.append(f"{shown}: a plural form uses {sorted(placeholders(form) - allowed)}")
            if placeholders(forms[-1]) != placeholders(message.id[1]):
                problems.append(f"{shown}: the last plural form must use exactly {sorted(placeholders(message.id[1]))}")
            continue
        if not message.string:
            problems.append(f"{shown} has no translation")
        elif placeholders(message.string) != placeholders(message.id):
            problems.append(
                f"{shown}: placeholders {sorted(placeholders(message.string))} differ from the English "
                f"{sorted(placeholders(message.id))}"
            )
    return problems


def check() -> list[str]:
    """Every reason the catalogs are out of step (empty when all is well)."""
    problems: list[str] = []
    if not TEMPLATE.is_file() or _shape(_read(TEMPLATE)) != _shape(extract()):
        problems.append(f"{TEMPLATE.relative_to(ROOT)} is stale: {CHECK_HINT}")
    for locale in i18n.SHIPPED:
        problems += translation_problems(locale)
        mo = mo_path(locale)
        if po_path(locale).is_file() and (not mo.is_file() or mo.read_bytes() != compiled(locale)):
            problems.append(f"{mo_path(locale).relative_to(ROOT)} is stale: run `python scripts/i18n.py compile`")
    listed = {path.parent.parent.name for path in TRANSLATIONS.glob(f"*/LC_MESSAGES/{i18n.DOMAIN}.po")}
    shipped = {locale.replace("-", "_") for locale in i18n.SHIPPED}
    problems += [f"translations/{name} is not in i18n.SHIPPED" for name in sorted(listed - shipped)]
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("extract", help="rewrite the template from the code and the command definitions")
    sub.add_parser("update", help="merge the template into every shipped language")
    start = sub.add_parser("init", help="start the catalog of a new language")
    start.add_argument("locale", help="a Discord locale, e.g. it or zh-CN")
    sub.add_parser("compile", help="write the .mo files")
    sub.add_parser("check", help="fail when something is stale or incomplete")
    args = parser.parse_args(argv)
    if args.action == "extract":
        print(f"{TEMPLATE.relative_to(ROOT)} {'written' if write_template() else 'unchanged'}")
    elif args.action == "update":
        for locale in i18n.SHIPPED:
            update(locale)
            print(f"updated {po_path(locale).relative_to(ROOT)}")
    elif args.action == "init":
        if args.locale not in i18n.DISCORD_LOCALES:
            parser.error(f"{args.locale!r} is not a Discord locale (see docs/localization.md)")
        path = init(args.locale)
        print(f"wrote {path.relative_to(ROOT)}; translate it, add {args.locale!r} to i18n.SHIPPED, then `compile`")
    elif args.action == "compile":
        changed = compile_all()
        for path in changed:
            print(f"wrote {path.relative_to(ROOT)}")
        if not changed:
            print("compiled catalogs already in step")
    else:
        problems = check()
        for problem in problems:
            print(f"- {problem}", file=sys.stderr)
        print("translations: in step" if not problems else f"translations: {len(problems)} problem(s)")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
