"""Register the slash commands with Discord, only when what is registered differs from the definitions.

    kaltura-discord register --scope global             # every server that installs the app
    kaltura-discord register --guild-id 123456789012345 # one server, visible at once (for testing)
    kaltura-discord register --scope global --dry-run   # print the difference and the body, change nothing

(``python scripts/register_commands.py`` is the same command, for a checkout without the console script.)

Settings: DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN (the environment, or the SECRETS_ID secret), and
DISCORD_API_BASE_URL (defaults to Discord's v10 API). The token is never printed.

It validates the definitions against Discord's limits, reads what is registered (GET), compares after
normalising Discord's defaults, and, when they differ, sends one bulk overwrite (PUT). Localizations (the names and
descriptions in other languages, from the message catalogs) are compared and sent too; a dry run prints the whole
body it would PUT, localizations included. A 429 is retried after the wait Discord asks for (bounded by
--max-attempts and --max-wait).

Exit codes:
    0  nothing to change, the change was applied, or a dry run finished
    2  usage or configuration error, or definitions that break Discord's limits (nothing sent)
    3  Discord refused the credentials (401/403): check the bot token, application id and guild
    4  Discord or network error (including rate limits that outlast the retries)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from kaltura_discord import settings
from kaltura_discord.commands.definitions import COMMANDS, CommandDefinition
from kaltura_discord.commands.manifest import diff
from kaltura_discord.commands.validator import validate
from kaltura_discord.http import create_client

if TYPE_CHECKING:
    import httpx

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_DISCORD = 4

_SNOWFLAKE = re.compile(r"^[1-9]\d{5,19}$")
_RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


class RegistrationError(Exception):
    exit_code = EXIT_DISCORD


class UsageError(RegistrationError):
    exit_code = EXIT_USAGE


class AuthError(RegistrationError):
    exit_code = EXIT_AUTH


class _Output:
    """stdout/stderr with the bot token scrubbed from anything written."""

    def __init__(self, secret: str | None = None) -> None:
        self.secret = secret

    def _clean(self, text: str) -> str:
        return text.replace(self.secret, "[redacted]") if self.secret else text

    def info(self, text: str) -> None:
        print(self._clean(text), flush=True)

    def error(self, text: str) -> None:
        print(self._clean(text), file=sys.stderr, flush=True)


def retry_after_seconds(response: httpx.Response) -> float | None:
    """How long a 429 asks us to wait: ``retry_after`` in the body, else X-RateLimit-Reset-After, else Retry-After."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("retry_after"), int | float):
        return max(0.0, float(body["retry_after"]))
    for header in ("X-RateLimit-Reset-After", "Retry-After"):
        raw = response.headers.get(header)
        if raw is None:
            continue
        try:
            return max(0.0, float(raw))
        except ValueError:
            continue
    return None


def _discord_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason_phrase
    if isinstance(body, dict):
        message = str(body.get("message") or response.reason_phrase)
        if "errors" in body:
            message += " " + json.dumps(body["errors"], separators=(",", ":"))[:1500]
        return message
    return str(body)[:500]


class Registrar:
    def __init__(
        self,
        client: httpx.Client,
        path: str,
        *,
        max_attempts: int,
        max_wait: float,
        sleep: Callable[[float], None],
        output: _Output,
    ) -> None:
        self.client = client
        self.path = path
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self.sleep = sleep
        self.out = output

    def request(self, method: str, *, body: Any = None, params: dict[str, str] | None = None) -> Any:
        import httpx

        for attempt in range(1, self.max_attempts + 1):
            last = attempt == self.max_attempts
            try:
                response = self.client.request(method, self.path, json=body, params=params)
            except httpx.TransportError as error:
                if last:
                    raise RegistrationError(
                        f"{method} {self.path}: could not reach Discord ({type(error).__name__})"
                    ) from None
                self._wait(min(self.max_wait, 0.5 * 2**attempt), f"network error ({type(error).__name__})")
                continue
            status = response.status_code
            if status in (401, 403):
                raise AuthError(self._auth_message(status, _discord_message(response)))
            if status == 429:
                wait = retry_after_seconds(response)
                wait = 1.0 if wait is None else wait
                if wait > self.max_wait:
                    raise RegistrationError(
                        f"{method} {self.path}: rate limited for {wait:g} s, more than --max-wait {self.max_wait:g} s;"
                        " try again later"
                    )
                if last:
                    break
                scope = response.headers.get("X-RateLimit-Scope", "route")
                self._wait(wait, f"rate limited ({scope})")
                continue
            if status in _RETRYABLE_STATUS and not last:
                self._wait(min(self.max_wait, 0.5 * 2**attempt), f"Discord answered {status}")
                continue
            if status >= 400:
                raise RegistrationError(
                    f"{method} {self.path}: Discord answered {status}: {_discord_message(response)}"
                )
            return response.json() if response.content else None
        raise RegistrationError(f"{method} {self.path}: still failing after {self.max_attempts} attempts")

    def _wait(self, seconds: float, why: str) -> None:
        self.out.info(f"  {why}: waiting {seconds:g} s before retrying")
        self.sleep(seconds)

    def _auth_message(self, status: int, detail: str) -> str:
        if status == 401:
            return (
                f"Discord refused the bot token (401 {detail}). Check DISCORD_BOT_TOKEN: it must be the bot token of"
                " the application in DISCORD_APPLICATION_ID (Developer Portal > Bot > Reset Token)."
            )
        return (
            f"Discord denied access (403 {detail}). The token is valid but may not manage these commands: check that"
            " DISCORD_APPLICATION_ID matches the bot, and for --guild-id that the app was added to that server with"
            " the applications.commands scope."
        )


def _parse_args(argv: Sequence[str] | None, prog: str | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Register the slash commands with Discord (one bulk overwrite, only when they differ).",
        epilog="Exit codes: 0 done or nothing to do, 2 usage/config/invalid definitions, 3 auth, 4 Discord/network.",
    )
    parser.add_argument("--scope", choices=("global", "guild"), help="global commands, or guild ones (--guild-id)")
    parser.add_argument("--guild-id", help="register in this server only (implies --scope guild)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would change and the body it would send; send nothing"
    )
    parser.add_argument("--max-attempts", type=int, default=5, help="attempts per request on 429/5xx (default 5)")
    parser.add_argument("--max-wait", type=float, default=60.0, help="longest single wait in seconds (default 60)")
    args = parser.parse_args(argv)

    def fail(message: str) -> NoReturn:
        parser.error(message)

    if args.scope is None and args.guild_id is None:
        fail("choose --scope global or --guild-id ID")
    if args.scope == "global" and args.guild_id is not None:
        fail("--scope global and --guild-id cannot be used together")
    if args.scope == "guild" and args.guild_id is None:
        fail("--scope guild needs --guild-id ID")
    if args.guild_id is not None and not _SNOWFLAKE.match(args.guild_id):
        fail(f"--guild-id must be a server id (digits), got {args.guild_id!r}")
    if args.max_attempts < 1 or args.max_wait < 0:
        fail("--max-attempts must be at least 1 and --max-wait not negative")
    return args


def _credentials() -> tuple[str, str]:
    try:
        application_id = settings.required("DISCORD_APPLICATION_ID")
        token = settings.secrets.require("DISCORD_BOT_TOKEN")
    except settings.ConfigurationError as error:
        raise UsageError(str(error)) from None
    except Exception as error:  # reading the SECRETS_ID secret from Secrets Manager failed
        raise UsageError(
            f"could not read DISCORD_BOT_TOKEN from the SECRETS_ID secret ({type(error).__name__})"
        ) from None
    if not _SNOWFLAKE.match(application_id):
        raise UsageError(f"DISCORD_APPLICATION_ID must be the application id (digits), got {application_id!r}")
    return application_id, token


def register(
    commands: Sequence[CommandDefinition],
    *,
    guild_id: str | None,
    dry_run: bool,
    max_attempts: int = 5,
    max_wait: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    output: _Output | None = None,
) -> int:
    out = output or _Output()
    problems = validate(commands)
    if problems:
        out.error("The command definitions break Discord's limits; nothing was sent:")
        for problem in problems:
            out.error(f"  - {problem}")
        return EXIT_USAGE
    application_id, token = _credentials()
    out.secret = token
    scope = f"guild {guild_id}" if guild_id else "global"
    path = f"/applications/{application_id}" + (f"/guilds/{guild_id}" if guild_id else "") + "/commands"
    desired = [definition.to_discord() for definition in commands]
    base_url = settings.discord_api_base_url()
    out.info(f"{len(desired)} command(s) defined; reading the {scope} commands of application {application_id}")
    with create_client(base_url, headers={"Authorization": f"Bot {token}"}) as client:
        registrar = Registrar(client, path, max_attempts=max_attempts, max_wait=max_wait, sleep=sleep, output=out)
        registered = registrar.request("GET", params={"with_localizations": "true"})
        if not isinstance(registered, list):
            raise RegistrationError(f"GET {path}: expected a list of commands, got {type(registered).__name__}")
        changes = diff(desired, registered, guild=guild_id is not None)
        if dry_run:
            out.info("The body of the bulk overwrite (PUT), localizations included:")
            out.info(json.dumps(desired, indent=2, ensure_ascii=False))
        if changes.empty:
            out.info(f"Up to date: the {len(registered)} registered command(s) match the definitions. Nothing sent.")
            return EXIT_OK
        for line in changes.lines():
            out.info(line)
        summary = f"{len(changes.added)} added, {len(changes.changed)} changed, {len(changes.removed)} removed"
        if dry_run:
            out.info(f"Dry run: would send one bulk overwrite ({summary}). Nothing was sent.")
            return EXIT_OK
        stored = registrar.request("PUT", body=desired)
    out.info(f"Applied with one bulk overwrite: {summary}.")
    if isinstance(stored, list):
        leftover = diff(desired, stored, guild=guild_id is not None)
        if not leftover.empty:
            out.error("Warning: Discord stored something other than what was sent (the next run will send again):")
            for line in leftover.lines():
                out.error(f"  {line}")
    return EXIT_OK


def main(
    argv: Sequence[str] | None = None, *, sleep: Callable[[float], None] = time.sleep, prog: str | None = None
) -> int:
    args = _parse_args(argv, prog)
    output = _Output()
    try:
        return register(
            COMMANDS,
            guild_id=args.guild_id,
            dry_run=args.dry_run,
            max_attempts=args.max_attempts,
            max_wait=args.max_wait,
            sleep=sleep,
            output=output,
        )
    except RegistrationError as error:
        output.error(f"error: {error}")
        return error.exit_code
