"""API tokens end to end through `make run`: minted by an admin with /kaltura-token create, they work; listed, they
never show; revoked in Discord, they are refused within the cache time; when the admin loses Manage Server in the
Discord stand-in, their token's writes are refused while reads still work; and a client can give its token back.

The stack runs with TOKEN_STATE_CACHE_SECONDS=1 and MEMBER_RIGHTS_CACHE_SECONDS=1 (the deployed defaults are 60
and 300), so the test sees each change within seconds instead of minutes; it polls, within a bound, for the change.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RunningStack, run_stack
from tests.support.interactions import command, interaction

pytestmark = pytest.mark.e2e

GUILD = "1000000000000000950"
OWNER = "1000000000000000951"
ADMIN = "1000000000000000952"
MANAGERS = "1000000000000000953"
MANAGE_GUILD = 1 << 5
ALL_SCOPES = "meetings:read meetings:write config:write"
CACHE_SECONDS = 1
BOUND_SECONDS = 15.0


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    extra = {"TOKEN_STATE_CACHE_SECONDS": str(CACHE_SECONDS), "MEMBER_RIGHTS_CACHE_SECONDS": str(CACHE_SECONDS)}
    yield from run_stack(Path(tmp_path_factory.mktemp("local-stack-tokens")), extra)


# -- the Discord stand-in's servers, over its control routes --------------------------------------------------------


def standin(stack: RunningStack, method: str, path: str, body: dict[str, Any] | None = None) -> None:
    answer = stack.http.request(method, f"{stack.standin_root}/_standin/guilds/{path}", json=body)
    assert answer.status_code == 204, answer.text


def seed_admin(stack: RunningStack, guild: str, admin: str, owner: str = OWNER, role: str = MANAGERS) -> None:
    """A server in the stand-in where ``admin`` has Manage Server through a role (and someone else owns it)."""
    standin(stack, "PUT", guild, {"owner_id": owner})
    standin(stack, "PUT", f"{guild}/roles/{role}", {"permissions": str(MANAGE_GUILD), "name": "Managers"})
    standin(stack, "PUT", f"{guild}/members/{admin}", {"roles": [role]})


# -- /kaltura-token -------------------------------------------------------------------------------------------------


def token_command(
    stack: RunningStack, sub: str, options: list[dict[str, Any]] | None = None, *, guild: str = GUILD
) -> dict[str, Any]:
    payload = command(
        "kaltura-token",
        [{"name": sub, "type": 1, "options": options or []}],
        user_id=ADMIN,
        guild_id=guild,
        permissions=MANAGE_GUILD,
    )
    answer: dict[str, Any] = stack.post(payload).json()
    assert answer["type"] == 4 and answer["data"]["flags"] == 64, answer
    return answer


def token_of(answer: dict[str, Any]) -> str:
    found = re.search(r"```\n([A-Za-z0-9_.-]+)\n```", str(answer["data"].get("content", "")))
    assert found, answer
    return found.group(1)


def create(stack: RunningStack, scopes: str, *, guild: str = GUILD) -> tuple[str, str]:
    """(token, short id)."""
    answer = token_command(stack, "create", [{"name": "scopes", "type": 3, "value": scopes}], guild=guild)
    token = token_of(answer)
    short = re.search(r"token `([0-9a-f]{8})`", answer["data"]["content"])
    assert short, answer
    return token, short.group(1)


def until(check: Callable[[], bool], bound: float = BOUND_SECONDS) -> bool:
    """Ask again every 0.1 s until ``check`` holds or the bound runs out."""
    pause = threading.Event()
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if check():
            return True
        pause.wait(0.1)
    return check()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def code_of(answer: httpx.Response) -> str | None:
    try:
        return str(answer.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


def test_an_admins_token_follows_revocation_and_their_rights(stack: RunningStack) -> None:
    api = str(stack.state["api_base_url"])
    seed_admin(stack, GUILD, ADMIN)
    first, first_id = create(stack, ALL_SCOPES)
    second, second_id = create(stack, "meetings:read meetings:write")

    # A token minted by an admin works, reads and writes.
    assert stack.http.get(f"{api}/meetings", headers=bearer(first)).status_code == 200
    started = stack.http.post(f"{api}/meetings", json={"type": "meeting", "title": "Token e2e"}, headers=bearer(first))
    assert started.status_code == 201, started.text
    assert stack.http.get(f"{api}/config", headers=bearer(first)).status_code == 200
    lookups = [c for c in stack.discord_calls() if c["path"] == f"/guilds/{GUILD}/members/{ADMIN}"]
    assert lookups and all(c["method"] == "GET" for c in lookups), "the member was looked up in Discord"

    # The list shows both, with who minted them, and never a token.
    listed = str(token_command(stack, "list")["data"]["content"])
    assert first_id in listed and second_id in listed and f"<@{ADMIN}>" in listed and "(2)" in listed
    assert first not in listed and second not in listed and "eyJ" not in listed

    # Revoked in Discord: refused within the cache time; the other token keeps working.
    revoked = str(token_command(stack, "revoke", [{"name": "token", "type": 3, "value": first_id}])["data"]["content"])
    assert f"Revoked `{first_id}`" in revoked
    assert until(lambda: code_of(stack.http.get(f"{api}/meetings", headers=bearer(first))) == "token_revoked")
    assert stack.http.get(f"{api}/meetings", headers=bearer(second)).status_code == 200
    listed = str(token_command(stack, "list")["data"]["content"])
    assert first_id not in listed and second_id in listed and "(1)" in listed

    # Manage Server taken away in the stand-in: writes refused, reads still work.
    standin(stack, "PUT", f"{GUILD}/members/{ADMIN}", {"roles": []})
    write = {"type": "meeting", "title": "After losing Manage Server"}
    assert until(
        lambda: code_of(stack.http.post(f"{api}/meetings", json=write, headers=bearer(second))) == "missing_permission"
    )
    assert stack.http.get(f"{api}/meetings", headers=bearer(second)).status_code == 200

    # The admin leaves: reads stop too. Their token can still be given back.
    standin(stack, "DELETE", f"{GUILD}/members/{ADMIN}")
    assert until(lambda: code_of(stack.http.get(f"{api}/meetings", headers=bearer(second))) == "not_a_member")
    given_back = stack.http.delete(f"{api}/tokens/self", headers=bearer(second))
    assert given_back.status_code == 200 and given_back.json()["data"]["short_id"] == second_id
    assert code_of(stack.http.get(f"{api}/meetings", headers=bearer(second))) == "token_revoked"
    assert "no live API tokens" in str(token_command(stack, "list")["data"]["content"])


def test_revoke_all_autocomplete_and_the_old_shape(stack: RunningStack) -> None:
    api = str(stack.state["api_base_url"])
    guild = "1000000000000000960"
    seed_admin(stack, guild, ADMIN)
    old_shape = command(
        "kaltura-token",
        [{"name": "scopes", "type": 3, "value": "meetings:read"}],
        user_id=ADMIN,
        guild_id=guild,
        permissions=MANAGE_GUILD,
    )
    answered = stack.post(old_shape).json()
    old_token = token_of(answered)
    assert "old form of `/kaltura-token`" in answered["data"]["content"]
    new_token, new_id = create(stack, "meetings:read", guild=guild)

    focused = [{"name": "token", "type": 3, "value": "", "focused": True}]
    data = {
        "id": "1",
        "name": "kaltura-token",
        "type": 1,
        "options": [{"name": "revoke", "type": 1, "options": focused}],
    }
    suggested = stack.post(interaction(4, data, user_id=ADMIN, guild_id=guild, permissions=MANAGE_GUILD)).json()
    values = [choice["value"] for choice in suggested["data"]["choices"]]
    assert values[0] == "all" and new_id in values and len(values) == 3

    text = str(token_command(stack, "revoke", [{"name": "token", "type": 3, "value": "all"}], guild=guild)["data"])
    assert "Revoked all 2" in text

    def both_refused() -> bool:
        codes = {code_of(stack.http.get(f"{api}/meetings", headers=bearer(token))) for token in (old_token, new_token)}
        return codes == {"token_revoked"}

    assert until(both_refused)
