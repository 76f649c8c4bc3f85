#!/usr/bin/env python3
"""Create the two app tokens app-token mode needs, once, with the account's admin secret.

    KALTURA_PARTNER_ID=1234567 KALTURA_ADMIN_SECRET=... python scripts/create_app_tokens.py
    python scripts/create_app_tokens.py --dry-run      # print the appToken.add bodies, create nothing

It calls ``appToken.add`` twice with the fields ``docs/kaltura.md`` lists (``kaltura_discord.kaltura.app_tokens``):
an ADMIN token for rooms and a USER token for join sessions. It prints the settings to put in the deployment's
Secrets Manager secret (``KALTURA_APP_TOKEN`` / ``KALTURA_USER_APP_TOKEN`` are secrets: the output is the only
place they appear; keep it out of shell history and logs) and the plain settings. The admin secret itself is
needed only here: leave it out of the deployment.

Exit codes: 0 created (or dry run), 2 missing settings, 4 Kaltura refused or did not answer.
"""

from __future__ import annotations

import argparse
import json
import sys

from kaltura_discord import settings
from kaltura_discord.kaltura import AdminSecret, KalturaClient, KalturaError
from kaltura_discord.kaltura.app_tokens import admin_token_fields, create_deployment_tokens, user_token_fields


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create kaltura-discord's two Kaltura app tokens.")
    parser.add_argument("--dry-run", action="store_true", help="print the appToken.add bodies only")
    options = parser.parse_args(argv)
    if options.dry_run:
        print(json.dumps({"admin": admin_token_fields(), "user": user_token_fields()}, indent=2))
        return 0
    try:
        partner_id = int(settings.required("KALTURA_PARTNER_ID"))
        secret = settings.secrets.require("KALTURA_ADMIN_SECRET")
    except (settings.ConfigurationError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        with KalturaClient(settings.kaltura_service_url(), partner_id, AdminSecret(secret)) as client:
            admin, user = create_deployment_tokens(client)
    except KalturaError as exc:
        print(f"error: Kaltura refused or did not answer: {exc}", file=sys.stderr)
        return 4
    print("# Secrets (the SECRETS_ID secret):")
    print(json.dumps({"KALTURA_APP_TOKEN": admin.token, "KALTURA_USER_APP_TOKEN": user.token}, indent=2))
    print("# Plain settings (SAM parameters KalturaAppTokenId, KalturaUserAppTokenId):")
    print(f"KALTURA_APP_TOKEN_ID={admin.id}\nKALTURA_APP_TOKEN_HASH_TYPE={admin.hash_type}")
    print(f"KALTURA_USER_APP_TOKEN_ID={user.id}\nKALTURA_USER_APP_TOKEN_HASH_TYPE={user.hash_type}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
