#!/usr/bin/env python3
"""Make the Kaltura account tell this deployment when a recording is ready (an HTTP event notification).

    KALTURA_PARTNER_ID=1234567 KALTURA_ADMIN_SECRET=... python scripts/setup_kaltura_notifications.py \\
        --url https://abc123.execute-api.eu-west-1.amazonaws.com
    python scripts/setup_kaltura_notifications.py --url https://... --dry-run   # print the calls, change nothing

It uses the deployment's Kaltura settings (admin secret, or the ADMIN app token) and
``kaltura_discord.kaltura.notifications.set_up``: it lists the account's templates for its own
(``KALTURA_DISCORD_RECORDING_READY``) and updates it if found; otherwise it lists the system templates, clones the
entry-ready one (``HTTP_ENTRY_STATUS_EQUALS``: an entry's status became READY) with the URL
``{--url or PUBLIC_BASE_URL}/v1/kaltura/notifications``, form-field data and SHA-256 signing, and enables it.
Running it again changes nothing but the URL.

Kaltura signs each notification with the account's **admin secret** (there is no per-template secret in its API):
put that value in ``KALTURA_NOTIFICATION_SECRET`` in the deployment's secret (or keep ``KALTURA_ADMIN_SECRET``
there, which is used when ``KALTURA_NOTIFICATION_SECRET`` is not set). See docs/kaltura.md.

Exit codes: 0 done (or dry run), 2 missing or malformed settings, 4 Kaltura refused or did not answer.
"""

from __future__ import annotations

import argparse
import json
import sys

from kaltura_discord import settings
from kaltura_discord.kaltura import KalturaError, client_from_settings
from kaltura_discord.kaltura.notifications import notifications_url, planned_calls, set_up


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Set up Kaltura's recording-ready notification for kaltura-discord.")
    parser.add_argument("--url", help="the deployment's public base URL (default: PUBLIC_BASE_URL)")
    parser.add_argument("--dry-run", action="store_true", help="print the calls it would make, change nothing")
    options = parser.parse_args(argv)
    try:
        base = options.url.rstrip("/") if options.url else settings.configured_public_base_url()
        if not base:
            raise settings.ConfigurationError("give --url (the ApiBaseUrl output without /v1) or set PUBLIC_BASE_URL")
        if not base.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise settings.ConfigurationError(f"the URL must be https://..., got {base!r}")
    except settings.ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    url = notifications_url(base.removesuffix("/v1"))
    if options.dry_run:
        print(json.dumps([call.describe() for call in planned_calls(url)], indent=2))
        return 0
    try:
        client = client_from_settings()
    except (settings.ConfigurationError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        with client:
            result = set_up(client, url)
    except KalturaError as exc:
        print(f"error: Kaltura refused or did not answer: {exc}", file=sys.stderr)
        return 4
    verb = "created and enabled" if result.created else "updated"
    print(f"Notification template {result.template_id} {verb}: it sends to {url}")
    print("Kaltura signs it with the account's admin secret: set KALTURA_NOTIFICATION_SECRET to it (docs/kaltura.md).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
