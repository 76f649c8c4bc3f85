"""Send an interaction to the local stack, signed with the development key the way Discord signs it,
then print the response and any follow-up edits that reach the Discord stand-in.

Examples::

    send_interaction.py kaltura-help
    send_interaction.py kaltura-start -o type=meeting -o "title=Weekly sync"
    send_interaction.py kaltura-join --autocomplete meeting -o meeting=wee
    send_interaction.py --component "meeting-join:<meeting id>"
    send_interaction.py kaltura-help --locale de          # the member's client in German
    send_interaction.py kaltura-help --locale it --guild-locale fr   # Italian is not shipped: the server's French
    send_interaction.py ping
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from pathlib import Path
from typing import Any

from kaltura_discord.http import create_client
from kaltura_discord.local.signing import load_or_create_signing_key, new_snowflake, sign, state_dir

DEFAULT_GUILD = "1000000000000000100"
DEFAULT_CHANNEL = "1000000000000000200"
DEFAULT_USER = "1000000000000000300"
_OPTION_TYPES = {"str": 3, "int": 4, "bool": 5, "float": 10}


def _option_types(command: str) -> dict[str, int]:
    """Option name -> Discord type from the command definitions (leaf options of every subcommand)."""
    from kaltura_discord.commands.definitions import get

    definition = get(command)
    found: dict[str, int] = {}
    stack = list(definition.options) if definition else []
    while stack:
        option = stack.pop()
        if option.type in (1, 2):
            stack.extend(option.options)
        else:
            found[option.name] = option.type
    return found


def _coerce(value: str, option_type: int) -> Any:
    if option_type == _OPTION_TYPES["int"]:
        return int(value)
    if option_type == _OPTION_TYPES["float"]:
        return float(value)
    if option_type == _OPTION_TYPES["bool"]:
        return value.lower() in ("1", "true", "yes", "on")
    return value


def build_payload(args: argparse.Namespace, application_id: str) -> dict[str, Any]:
    interaction_id = new_snowflake()
    user = {"id": args.user, "username": args.username, "global_name": args.username, "discriminator": "0"}
    payload: dict[str, Any] = {
        "id": interaction_id,
        "application_id": application_id,
        "token": "local-" + secrets.token_urlsafe(24),
        "version": 1,
        "guild_id": args.guild,
        "channel_id": DEFAULT_CHANNEL,
        "channel": {"id": DEFAULT_CHANNEL, "type": 0},
        "member": {"user": user, "roles": args.role, "permissions": str(args.permissions), "nick": None},
        "locale": args.locale,
        "guild_locale": args.guild_locale,
        "entitlements": [],
        "authorizing_integration_owners": {"0": args.guild},
        "context": 0,
    }
    if args.command == "ping":
        return {"id": interaction_id, "application_id": application_id, "type": 1, "token": payload["token"]}
    if args.component:
        payload.update(
            type=3,
            data={"custom_id": args.component, "component_type": 2},
            message={"id": new_snowflake(), "channel_id": DEFAULT_CHANNEL, "content": "", "flags": 0},
        )
        return payload
    types = _option_types(args.command)
    options = []
    for item in args.option:
        name, _, value = item.partition("=")
        option: dict[str, Any] = {"name": name, "type": types.get(name, 3)}
        option["value"] = value if args.autocomplete == name else _coerce(value, option["type"])
        if args.autocomplete == name:
            option["focused"] = True
        options.append(option)
    if args.autocomplete and args.autocomplete not in {o["name"] for o in options}:
        options.append({"name": args.autocomplete, "type": 3, "value": "", "focused": True})
    for name in reversed(args.sub or []):
        options = [{"name": name, "type": 1, "options": options}]
    payload.update(
        type=4 if args.autocomplete else 2,
        data={"id": new_snowflake(), "name": args.command, "type": 1, "options": options},
    )
    return payload


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    with create_client(read_timeout=10.0) as client:
        response = client.post(url, content=body, headers={"Content-Type": "application/json", **headers})
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text


def _followups(standin_base: str, token: str) -> list[dict[str, Any]]:
    root = standin_base.split("/api/", 1)[0]
    with create_client() as client:
        calls: list[dict[str, Any]] = client.get(f"{root}/_standin/calls").json()
    return [c for c in calls if f"/{token}" in c["path"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Send a signed interaction to the local stack.")
    parser.add_argument("command", nargs="?", default="kaltura-help", help="command name, or 'ping'")
    parser.add_argument("--sub", action="append", help="subcommand (repeat for a group)")
    parser.add_argument("-o", "--option", action="append", default=[], help="option as name=value")
    parser.add_argument("--autocomplete", metavar="OPTION", help="send an autocomplete request for this option")
    parser.add_argument("--component", metavar="CUSTOM_ID", help="press a button with this custom_id")
    parser.add_argument("--guild", default=DEFAULT_GUILD)
    parser.add_argument("--user", default=DEFAULT_USER)
    parser.add_argument("--username", default="Local Tester")
    parser.add_argument("--role", action="append", default=[], help="a role id the member has")
    parser.add_argument(
        "--permissions", type=int, default=1 << 5, help="member permission bits (default Manage Server)"
    )
    parser.add_argument("--locale", default="en-US", help="the member's language, a Discord locale (default en-US)")
    parser.add_argument(
        "--guild-locale", default="en-US", help="the server's language, a Discord locale (default en-US)"
    )
    parser.add_argument("--wait", type=float, default=5.0, help="seconds to wait for follow-up edits")
    parser.add_argument("--state-dir", type=Path, default=None)
    args = parser.parse_args(argv)

    state_file = (args.state_dir or state_dir()) / "stack.json"
    if not state_file.is_file():
        print("The local stack is not running: start it with `make run` first.", file=sys.stderr)
        return 2
    state = json.loads(state_file.read_text())
    key = load_or_create_signing_key(args.state_dir)
    if key.verify_key.encode().hex() != state["public_key"]:
        print("The stack runs with a DISCORD_PUBLIC_KEY that is not the local development key.", file=sys.stderr)
        return 2

    payload = build_payload(args, state["application_id"])
    body = json.dumps(payload).encode()
    status, answer = _post(state["interactions_url"], body, sign(key, body))
    print(f"HTTP {status}")
    print(json.dumps(answer, indent=2, ensure_ascii=False))
    if status != 200 or not isinstance(answer, dict) or answer.get("type") not in (5, 6):
        return 0 if status == 200 else 1
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        edits = _followups(state["discord_api_base_url"], payload["token"])
        if edits:
            for call in edits:
                print(f"\nfollow-up {call['method']} {call['path'].replace(payload['token'], '<token>')}")
                print(json.dumps(call["body"], indent=2, ensure_ascii=False))
            return 0
        time.sleep(0.1)
    print(f"\nno follow-up arrived within {args.wait:.0f} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
