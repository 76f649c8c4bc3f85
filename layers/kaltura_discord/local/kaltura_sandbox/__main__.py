"""``python -m kaltura_discord.local.kaltura_sandbox``: the sandbox on its own, printing its service URL."""

from __future__ import annotations

import argparse

from kaltura_discord.local.kaltura_sandbox import DEFAULT_ADMIN_SECRET, DEFAULT_PARTNER_ID, KalturaSandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local Kaltura API sandbox (rooms, sessions, app tokens)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--partner-id", type=int, default=DEFAULT_PARTNER_ID)
    parser.add_argument("--admin-secret", default=DEFAULT_ADMIN_SECRET)
    parser.add_argument(
        "--app-token", action="append", default=[], metavar="ID:TOKEN[:HASHTYPE]", help="accept this app token"
    )
    options = parser.parse_args(argv)
    sandbox = KalturaSandbox(
        partner_id=options.partner_id, admin_secret=options.admin_secret, host=options.host, port=options.port
    )
    for spec in options.app_token:
        token_id, _, rest = spec.partition(":")
        token, _, hash_type = rest.partition(":")
        if not token_id or not token:
            parser.error(f"--app-token expects ID:TOKEN[:HASHTYPE], got {spec!r}")
        sandbox.add_app_token(token_id, token, hash_type=hash_type or "SHA1")
    sandbox.start()
    print(sandbox.url, flush=True)
    sandbox.serve_until_interrupted()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
