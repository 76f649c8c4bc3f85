"""Check your Kaltura account before deploying: the first time the real Kaltura server answers this code.

    kaltura-discord check-kaltura
    kaltura-discord check-kaltura --template-room-id 0_abc12345 --kaf-host 1234567.kaf.kaltura.com
    kaltura-discord check-kaltura --json          # one JSON object instead of lines

(``python scripts/check_kaltura.py`` is the same command, for a checkout without the console script.)

Settings, as the bot reads them: KALTURA_SERVICE_URL (default https://www.kaltura.com), KALTURA_PARTNER_ID, and
either KALTURA_ADMIN_SECRET, or KALTURA_APP_TOKEN_ID / KALTURA_APP_TOKEN [/ KALTURA_APP_TOKEN_HASH_TYPE] plus
KALTURA_USER_APP_TOKEN_ID / KALTURA_USER_APP_TOKEN [/ KALTURA_USER_APP_TOKEN_HASH_TYPE] (the environment, or the
SECRETS_ID secret). No KS, secret or token is ever printed.

It starts a session, adds a room (from --template-room-id when given), finds it by referenceId, checks the KAF
host, mints a 60-second join KS and opens its KAF launch URL (status only), then deletes the room: everything it
creates is removed even when a step fails (see kaltura_discord.kaltura.account_check).

Exit codes:
    0  every step passed
    1  a step failed (each FAIL line says what to do)
    2  usage or settings error (nothing sent)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from urllib.parse import urlsplit

from kaltura_discord import settings
from kaltura_discord.config.model import check_kaf_host
from kaltura_discord.kaltura import KalturaClient, default_kaf_base_url
from kaltura_discord.kaltura.account_check import (
    CheckReport,
    KafSite,
    Status,
    StepResult,
    client_for_check,
    mode_of,
    run_checks,
)
from kaltura_discord.kaltura.ks import validate_entry_id

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _entry_id(text: str) -> str:
    try:
        return validate_entry_id(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a Kaltura entry id (like 0_abc12345): {text!r}") from None


def _kaf_host(text: str) -> KafSite:
    try:
        return KafSite.for_host(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _kaf_base_url(text: str) -> KafSite:
    try:
        return KafSite.local(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _parse_args(argv: Sequence[str] | None, prog: str | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Check a Kaltura account before deploying kaltura-discord (rooms, KAF, join sessions).",
        epilog="Exit codes: 0 every step passed, 1 a step failed, 2 usage or settings error.",
    )
    parser.add_argument(
        "--template-room-id", type=_entry_id, help="add the test room from this template (the server's config uses it)"
    )
    kaf = parser.add_mutually_exclusive_group()
    kaf.add_argument("--kaf-host", type=_kaf_host, help="the KAF instance's host (default {partnerId}.kaf.kaltura.com)")
    kaf.add_argument("--kaf-base-url", type=_kaf_base_url, help="local testing only: http://127.0.0.1:PORT")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    return parser.parse_args(argv)


def _client() -> KalturaClient:
    try:
        return client_for_check()
    except settings.ConfigurationError:
        raise
    except Exception as error:  # reading the SECRETS_ID secret from Secrets Manager failed
        raise settings.ConfigurationError(
            f"could not read the Kaltura settings from the SECRETS_ID secret ({type(error).__name__})"
        ) from None


def _kaf_host_note(kaf: KafSite) -> str | None:
    """The bot's configuration refuses a KAF host outside its allowed domains: say so before anyone sets it."""
    if kaf.scheme != "https":
        return None
    try:
        check_kaf_host(kaf.host)
    except ValueError as error:
        return (
            f"note: the bot will refuse kaltura.kaf_base_url {kaf.host}: it {error}; set KAF_ALLOWED_HOST_SUFFIXES "
            "(comma-separated domains) in the functions' environment to allow it"
        )
    return None


def _print_line(result: StepResult) -> None:
    print(result.line(), flush=True)


def _summary(report: CheckReport) -> str:
    if report.ok:
        return f"All {len(report.results)} steps passed: this account is ready for kaltura-discord."
    failed = [result.step for result in report.results if result.status is Status.FAIL]
    return f"{len(failed)} step(s) failed ({', '.join(failed)}): see the FAIL lines for what to do."


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    args = _parse_args(argv, prog)
    try:
        client = _client()
    except settings.ConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    with client:
        kaf = args.kaf_base_url or args.kaf_host or KafSite.for_host(default_kaf_base_url(client.partner_id))
        note = _kaf_host_note(kaf)
        if note:
            print(note, file=sys.stderr, flush=True)
        if not args.json:
            print(
                f"Checking Kaltura partner {client.partner_id} on {urlsplit(client.service_url).netloc} "
                f"({mode_of(client)}), KAF host {kaf.host}",
                flush=True,
            )
        report = run_checks(
            client,
            template_room_id=args.template_room_id,
            kaf=kaf,
            on_result=None if args.json else _print_line,
        )
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(_summary(report))
    return EXIT_OK if report.ok else EXIT_FAILED
