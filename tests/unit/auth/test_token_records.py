"""Token records: /kaltura-token list shows the live ones (never a token), revoke takes one or all back (with
autocomplete), and the gate refuses a revoked or unknown token within its cache time (at most 60 s)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from kaltura_discord.auth.keys import clear_keyring
from kaltura_discord.auth.records import MAX_CACHE_SECONDS, AmbiguousToken, TokenGate, TokenRegistry, cache_seconds
from kaltura_discord.auth.tokens import ApiClaims, TokenError, verify_api_token
from kaltura_discord.bot.dispatch import handle_interaction
from kaltura_discord.discord.interaction import Interaction
from kaltura_discord.settings import ConfigurationError
from tests.support.fakes import FakeClock, MemoryTokenRecords
from tests.support.interactions import GUILD_ID, USER_ID, command, interaction
from tests.unit.auth.support import KEYS_JSON

pytestmark = pytest.mark.unit

MANAGE_GUILD = 1 << 5
OTHER_ADMIN = "1000000000000000302"
OTHER_GUILD = "1000000000000000777"


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JWT_SIGNING_KEYS", KEYS_JSON)
    clear_keyring()
    yield
    clear_keyring()


def sub(name: str, options: list[dict[str, Any]] | None = None, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("permissions", MANAGE_GUILD)
    payload = command("kaltura-token", [{"name": name, "type": 1, "options": options or []}], **kwargs)
    return handle_interaction(Interaction(payload)).to_dict()


def mint(scopes: str = "meetings:read", **kwargs: Any) -> str:
    answer = sub("create", [{"name": "scopes", "type": 3, "value": scopes}], **kwargs)
    found = re.search(r"```\n([A-Za-z0-9_.-]+)\n```", answer["data"]["content"])
    assert found, answer
    return found.group(1)


def revoke(which: str, **kwargs: Any) -> str:
    return str(sub("revoke", [{"name": "token", "type": 3, "value": which}], **kwargs)["data"]["content"])


def autocomplete(typed: str, **kwargs: Any) -> list[dict[str, Any]]:
    kwargs.setdefault("permissions", MANAGE_GUILD)
    options = [{"name": "token", "type": 3, "value": typed, "focused": True}]
    data = {
        "id": "1",
        "name": "kaltura-token",
        "type": 1,
        "options": [{"name": "revoke", "type": 1, "options": options}],
    }
    answer = handle_interaction(Interaction(interaction(4, data, **kwargs))).to_dict()
    assert answer["type"] == 8
    choices: list[dict[str, Any]] = answer["data"]["choices"]
    return choices


def test_list_shows_the_live_tokens_and_never_a_token() -> None:
    first = mint("meetings:read meetings:write")
    second = mint("meetings:read", user_id=OTHER_ADMIN)
    mint(guild_id=OTHER_GUILD)
    answer = sub("list")
    content = answer["data"]["content"]
    assert answer["data"]["flags"] == 64 and answer["data"]["allowed_mentions"] == {"parse": []}
    assert "(2)" in content
    for token, user, scopes in (
        (first, USER_ID, "meetings:read, meetings:write"),
        (second, OTHER_ADMIN, "meetings:read"),
    ):
        claims = verify_api_token(token)
        assert (
            f"`{claims.token_id[:8]}` · {scopes} · minted by <@{user}> · expires <t:{claims.expires_at}:R>" in content
        )
        assert token not in content and claims.token_id not in content
    assert "eyJ" not in content


def test_list_of_a_server_without_tokens() -> None:
    assert "no live API tokens" in sub("list")["data"]["content"]


def test_only_managers_list_or_revoke() -> None:
    mint()
    assert "Manage Server" in sub("list", permissions=0)["data"]["content"]
    assert "Manage Server" in revoke("all", permissions=0)
    assert autocomplete("", permissions=0) == []
    assert "(1)" in sub("list")["data"]["content"]


def test_revoke_by_short_id(memory_tokens: MemoryTokenRecords) -> None:
    keep, gone = mint(), mint("meetings:read meetings:write")
    gone_id = verify_api_token(gone).token_id
    text = revoke(gone_id[:8], user_id=OTHER_ADMIN)
    assert f"Revoked `{gone_id[:8]}`" in text and "within a minute" in text
    record = memory_tokens.items[(GUILD_ID, gone_id)]
    assert record.revoked_by == OTHER_ADMIN and record.revoked_at is not None
    listed = sub("list")["data"]["content"]
    assert verify_api_token(keep).token_id[:8] in listed and gone_id[:8] not in listed
    assert "No live token" in revoke(gone_id[:8]), "a revoked token is not revoked twice"


def test_revoke_all_of_this_server_only(memory_tokens: MemoryTokenRecords) -> None:
    for _ in range(3):
        mint()
    elsewhere = verify_api_token(mint(guild_id=OTHER_GUILD)).token_id
    assert "Revoked all 3" in revoke("all")
    assert all(r.revoked_at is not None for (g, _), r in memory_tokens.items.items() if g == GUILD_ID)
    assert memory_tokens.items[(OTHER_GUILD, elsewhere)].revoked_at is None
    assert "nothing was revoked" in revoke("ALL ")


@pytest.mark.parametrize("which", ["deadbeef", "abc", "<@&1>", "`x`"])
def test_revoking_an_unknown_id_says_so(which: str) -> None:
    mint()
    text = revoke(which)
    assert "No live token" in text and "`/kaltura-token list`" in text
    assert "<@&1>" not in text and "`x`" not in text


def test_a_token_of_another_server_cannot_be_revoked_here(memory_tokens: MemoryTokenRecords) -> None:
    elsewhere = verify_api_token(mint(guild_id=OTHER_GUILD)).token_id
    assert "No live token" in revoke(elsewhere[:8])
    assert memory_tokens.items[(OTHER_GUILD, elsewhere)].revoked_at is None


def test_a_replayed_revoke_changes_nothing_again() -> None:
    mint()
    options = [{"name": "token", "type": 3, "value": "all"}]
    payload = command("kaltura-token", [{"name": "revoke", "type": 1, "options": options}], permissions=MANAGE_GUILD)
    assert "Revoked the one live API token" in handle_interaction(Interaction(payload)).to_dict()["data"]["content"]
    mint()
    replay = handle_interaction(Interaction(payload)).to_dict()["data"]["content"]
    assert "already handled" in replay
    assert "(1)" in sub("list")["data"]["content"], "the token minted since survives the replay"


def test_autocomplete_offers_live_tokens_by_id_or_minter_and_all() -> None:
    mine = verify_api_token(mint("meetings:read meetings:write")).token_id
    theirs = verify_api_token(mint(user_id=OTHER_ADMIN)).token_id
    everything = autocomplete("")
    assert everything[0] == {"name": "All 2 live tokens of this server", "value": "all"}
    values = [choice["value"] for choice in everything[1:]]
    assert sorted(values) == sorted([mine[:8], theirs[:8]])
    assert all("eyJ" not in choice["name"] and len(choice["name"]) <= 100 for choice in everything)
    by_id = autocomplete(mine[:3])
    assert mine[:8] in [c["value"] for c in by_id]
    assert sorted(c["value"] for c in autocomplete("test us")) == sorted([mine[:8], theirs[:8]]), "by minter"
    assert autocomplete("zzzz") == []


def test_autocomplete_of_a_server_without_tokens_offers_nothing() -> None:
    assert autocomplete("") == []


# -- the registry and the gate ------------------------------------------------------------------------------------


def claims_of(token: str) -> ApiClaims:
    return verify_api_token(token)


def registry(records: MemoryTokenRecords, clock: FakeClock | None = None) -> TokenRegistry:
    return TokenRegistry(records) if clock is None else TokenRegistry(records, clock)


def issue(reg: TokenRegistry, user: str = USER_ID, hours: int = 1) -> str:
    return reg.issue(
        guild_id=GUILD_ID,
        user_id=user,
        display_name="Test",
        role_ids=(),
        scopes=("meetings:read",),
        lifetime_seconds=hours * 3600,
    ).token


def test_expired_tokens_are_not_live() -> None:
    clock = FakeClock(1_800_000_000)
    reg = registry(MemoryTokenRecords(), clock)
    issue(reg, hours=1)
    later = issue(reg, hours=2)
    clock.advance(3600)
    assert [r.token_id for r in reg.live(GUILD_ID)] == [later_id(later)]


def later_id(token: str) -> str:
    import jwt

    return str(jwt.decode(token, options={"verify_signature": False})["jti"])


def test_an_ambiguous_prefix_revokes_nothing() -> None:
    from dataclasses import replace

    records = MemoryTokenRecords()
    reg = registry(records)
    issue(reg)
    first = next(iter(records.items.values()))
    twin = replace(first, token_id=first.token_id[:4] + "0" * 28)
    records.items[(GUILD_ID, twin.token_id)] = twin
    with pytest.raises(AmbiguousToken, match="give more"):
        reg.revoke(GUILD_ID, first.token_id[:4], by=USER_ID)
    assert all(r.revoked_at is None for r in records.items.values())
    assert [r.token_id for r in reg.revoke(GUILD_ID, first.token_id, by=USER_ID)] == [first.token_id]


def test_the_gate_refuses_a_revoked_token_within_its_cache_time() -> None:
    records, clock = MemoryTokenRecords(), FakeClock()
    token = claims_of(issue(registry(records)))
    gate = TokenGate(records, 60, clock=clock)
    gate.check(token)
    records.revoke(GUILD_ID, token.token_id, by=USER_ID, at=1)
    clock.advance(59)
    gate.check(token)  # another container revoked it; this one may trust its last answer for up to 60 s
    clock.advance(1)
    with pytest.raises(TokenError) as refused:
        gate.check(token)
    assert refused.value.code == "token_revoked"
    assert records.reads == 2


def test_the_gate_remembers_unknown_tokens_and_forgets_failures() -> None:
    records, clock = MemoryTokenRecords(), FakeClock()
    token = claims_of(issue(registry(MemoryTokenRecords())))  # recorded elsewhere, not here
    gate = TokenGate(records, 60, clock=clock)
    records.failure = records.outage()
    with pytest.raises(Exception, match="unavailable"):
        gate.check(token)
    records.failure = None
    for _ in range(3):
        with pytest.raises(TokenError):
            gate.check(token)
    assert records.reads == 1


def test_a_record_of_another_member_or_fewer_scopes_does_not_count() -> None:
    from dataclasses import replace

    records = MemoryTokenRecords()
    token = claims_of(issue(registry(records)))
    key = (GUILD_ID, token.token_id)
    gate = TokenGate(records, 0)
    gate.check(token)
    records.items[key] = replace(records.items[key], user_id=OTHER_ADMIN)
    with pytest.raises(TokenError):
        gate.check(token)
    records.items[key] = replace(records.items[key], user_id=USER_ID, scopes=())
    with pytest.raises(TokenError):
        gate.check(token)


def test_giving_a_token_back_is_seen_at_once_in_this_container() -> None:
    records, clock = MemoryTokenRecords(), FakeClock()
    token = claims_of(issue(registry(records)))
    gate = TokenGate(records, 60, clock=clock)
    gate.check(token)
    revoked = gate.revoke_own(token)
    assert revoked.revoked_by == USER_ID and revoked.revoked_at is not None
    with pytest.raises(TokenError):
        gate.check(token)
    with pytest.raises(TokenError):
        gate.revoke_own(token)


def test_the_cache_holds_a_bounded_number_of_tokens() -> None:
    records = MemoryTokenRecords()
    reg = registry(records)
    tokens = [claims_of(issue(reg)) for _ in range(3)]
    gate = TokenGate(records, 60, clock=FakeClock(), max_entries=2)
    for token in tokens:
        gate.check(token)
    gate.check(tokens[0])
    assert records.reads == 4, "the oldest answer was dropped"


@pytest.mark.parametrize("ttl", [-1, MAX_CACHE_SECONDS + 1])
def test_the_gate_cache_time_is_bounded(ttl: float) -> None:
    with pytest.raises(ValueError, match="0 to 60"):
        TokenGate(MemoryTokenRecords(), ttl)


def test_the_cache_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKEN_STATE_CACHE_SECONDS", raising=False)
    assert cache_seconds() == 60
    monkeypatch.setenv("TOKEN_STATE_CACHE_SECONDS", "0")
    assert cache_seconds() == 0
    for bad in ("61", "-1", "a minute"):
        monkeypatch.setenv("TOKEN_STATE_CACHE_SECONDS", bad)
        with pytest.raises(ConfigurationError, match="TOKEN_STATE_CACHE_SECONDS"):
            cache_seconds()


def test_list_and_revoke_load_nothing_the_interactions_path_does_not_need() -> None:
    """/kaltura-token list and revoke are DynamoDB reads and writes: no FastAPI, no JWT library, no HTTP client."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "import sys, json; import kaltura_discord.bot.token, kaltura_discord.auth.records; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(json.loads(result.stdout))
    heavy = {"fastapi", "starlette", "mangum", "jwt", "cryptography", "httpx", "kaltura_discord.api"}
    assert not heavy & loaded, sorted(heavy & loaded)
