"""A member's current rights: permissions computed as Discord documents, remembered for at most 5 minutes, and
what they allow a token (writes fail closed, reads fail open); the Discord look-ups behind them."""

from __future__ import annotations

import dataclasses
import json

import httpx
import pytest

from kaltura_discord.auth.discord_members import DiscordGuildDirectory
from kaltura_discord.auth.rights import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    MANAGE_GUILD,
    READ_MESSAGE_HISTORY,
    VIEW_CHANNEL,
    AccessRefused,
    GuildSnapshot,
    MemberRightsService,
    MemberSnapshot,
    RightsUnavailable,
    base_permissions,
    cache_seconds,
)
from kaltura_discord.auth.tokens import ApiClaims
from kaltura_discord.discord.rest import DiscordRest
from kaltura_discord.settings import ConfigurationError
from tests.support.fakes import FakeClock, MemoryGuildDirectory

pytestmark = pytest.mark.unit

GUILD, OWNER, USER = "1000000000000000100", "1000000000000000001", "1000000000000000300"
ADMINS, MANAGERS, CHATTY = "1000000000000000501", "1000000000000000502", "1000000000000000503"
SEND_MESSAGES = 1 << 11
NOW = 1_800_000_000.0
ROLES = {GUILD: VIEW_CHANNEL | SEND_MESSAGES, ADMINS: ADMINISTRATOR, MANAGERS: MANAGE_GUILD, CHATTY: 1 << 6}
SERVER = GuildSnapshot(GUILD, OWNER, ROLES)


def claims(scopes: str = "meetings:read meetings:write", roles: tuple[str, ...] = ()) -> ApiClaims:
    return ApiClaims(USER, GUILD, frozenset(scopes.split()), "Test User", roles, "f" * 32, 0, 0)


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        (MemberSnapshot(OWNER, ()), ALL_PERMISSIONS),
        (MemberSnapshot(USER, ()), VIEW_CHANNEL | SEND_MESSAGES),
        (MemberSnapshot(USER, (MANAGERS, CHATTY)), VIEW_CHANNEL | SEND_MESSAGES | MANAGE_GUILD | 1 << 6),
        (MemberSnapshot(USER, (ADMINS,)), ALL_PERMISSIONS),
        (MemberSnapshot(USER, ("1000000000000000999",)), VIEW_CHANNEL | SEND_MESSAGES),
        (MemberSnapshot(USER, (MANAGERS,), timed_out_until=NOW + 60), VIEW_CHANNEL),
        (MemberSnapshot(USER, (MANAGERS,), timed_out_until=NOW - 60), VIEW_CHANNEL | SEND_MESSAGES | MANAGE_GUILD),
        (MemberSnapshot(USER, (ADMINS,), timed_out_until=NOW + 60), ALL_PERMISSIONS),
        (MemberSnapshot(OWNER, (), timed_out_until=NOW + 60), ALL_PERMISSIONS),
    ],
    ids=[
        "the owner has all",
        "@everyone only",
        "@everyone and every role, OR'd",
        "Administrator implies all",
        "a role the server no longer has counts for nothing",
        "in timeout: only view channel and read history",
        "a timeout that ended",
        "an administrator in timeout is exempt",
        "the owner in timeout is exempt",
    ],
)
def test_base_permissions_as_discord_documents_them(member: MemberSnapshot, expected: int) -> None:
    assert base_permissions(SERVER, member, NOW) == expected


def test_timed_out_members_keep_read_history_when_everyone_has_it() -> None:
    server = dataclasses.replace(SERVER, role_permissions={GUILD: VIEW_CHANNEL | READ_MESSAGE_HISTORY | MANAGE_GUILD})
    member = MemberSnapshot(USER, (), timed_out_until=NOW + 1)
    assert base_permissions(server, member, NOW) == VIEW_CHANNEL | READ_MESSAGE_HISTORY


def service(directory: MemoryGuildDirectory, clock: FakeClock, ttl: float = 300) -> MemberRightsService:
    return MemberRightsService(directory, ttl, clock=clock, wall_clock=lambda: NOW)


def strict_directory() -> MemoryGuildDirectory:
    directory = MemoryGuildDirectory()
    directory.set_guild(GUILD, OWNER, ROLES)
    directory.set_member(GUILD, USER, MANAGERS)
    return directory


def test_a_lost_permission_is_seen_once_the_cache_time_is_over() -> None:
    directory, clock = strict_directory(), FakeClock()
    rights = service(directory, clock)
    assert rights.rights(GUILD, USER).manages_server
    directory.set_member(GUILD, USER)  # Manage Server taken away
    clock.advance(299)
    assert rights.rights(GUILD, USER).manages_server, "within five minutes the container may still trust it"
    clock.advance(1)
    assert not rights.rights(GUILD, USER).manages_server
    assert rights.rights(GUILD, USER).present


def test_a_role_losing_its_permission_is_seen_too() -> None:
    directory, clock = strict_directory(), FakeClock()
    rights = service(directory, clock, ttl=10)
    assert rights.rights(GUILD, USER).manages_server
    directory.set_guild(GUILD, OWNER, {**ROLES, MANAGERS: 0})
    clock.advance(10)
    assert not rights.rights(GUILD, USER).manages_server


def test_one_roles_read_serves_every_member_of_a_server() -> None:
    directory, clock = strict_directory(), FakeClock()
    directory.set_member(GUILD, OWNER)
    rights = service(directory, clock)
    rights.rights(GUILD, USER)
    rights.rights(GUILD, OWNER)
    rights.rights(GUILD, USER)
    assert directory.lookups == [("member", GUILD, USER), ("guild", GUILD), ("member", GUILD, OWNER)]


def test_a_member_who_left_is_absent_and_costs_no_roles_read() -> None:
    directory, clock = strict_directory(), FakeClock()
    directory.remove_member(GUILD, USER)
    found = service(directory, clock).rights(GUILD, USER)
    assert (found.present, found.manages_server) == (False, False)
    assert directory.lookups == [("member", GUILD, USER)]


def test_failures_are_not_remembered() -> None:
    directory, clock = strict_directory(), FakeClock()
    rights = service(directory, clock)
    directory.unreachable = True
    with pytest.raises(RightsUnavailable):
        rights.rights(GUILD, USER)
    directory.unreachable = False
    assert rights.rights(GUILD, USER).manages_server


def test_no_cache_at_all_with_zero() -> None:
    directory, clock = strict_directory(), FakeClock()
    rights = service(directory, clock, ttl=0)
    rights.rights(GUILD, USER)
    directory.set_member(GUILD, USER)
    assert not rights.rights(GUILD, USER).manages_server


@pytest.mark.parametrize("ttl", [-1, 301])
def test_the_cache_time_is_bounded(ttl: float) -> None:
    with pytest.raises(ValueError, match="0 to 300"):
        MemberRightsService(MemoryGuildDirectory(), ttl)


def test_the_cache_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMBER_RIGHTS_CACHE_SECONDS", raising=False)
    assert cache_seconds() == 300
    monkeypatch.setenv("MEMBER_RIGHTS_CACHE_SECONDS", "5")
    assert cache_seconds() == 5
    for bad in ("301", "-1", "five"):
        monkeypatch.setenv("MEMBER_RIGHTS_CACHE_SECONDS", bad)
        with pytest.raises(ConfigurationError, match="MEMBER_RIGHTS_CACHE_SECONDS"):
            cache_seconds()


def test_writes_need_manage_server_now_and_reads_only_membership() -> None:
    directory, clock = strict_directory(), FakeClock()
    rights = service(directory, clock, ttl=0)
    assert rights.authorize(claims(), "meetings:write").role_ids == (MANAGERS,)
    directory.set_member(GUILD, USER, CHATTY)
    with pytest.raises(AccessRefused) as refused:
        rights.authorize(claims(), "config:write")
    assert refused.value.code == "missing_permission"
    assert rights.authorize(claims(roles=(ADMINS,)), "meetings:read").role_ids == (CHATTY,), "current roles win"
    directory.remove_member(GUILD, USER)
    for scope in ("meetings:read", "meetings:write"):
        with pytest.raises(AccessRefused) as gone:
            rights.authorize(claims(), scope)
        assert gone.value.code == "not_a_member"


def test_discord_unreachable_fails_writes_closed_and_reads_open() -> None:
    directory, clock = strict_directory(), FakeClock()
    directory.unreachable = True
    rights = service(directory, clock)
    with pytest.raises(RightsUnavailable):
        rights.authorize(claims(), "meetings:write")
    token = claims(roles=(CHATTY,))
    assert rights.authorize(token, "meetings:read") is token, "a read goes ahead on the token's own claims"


def test_the_owner_may_write_without_any_role() -> None:
    directory = strict_directory()
    directory.set_member(GUILD, OWNER)
    owner = dataclasses.replace(claims(), user_id=OWNER)
    assert service(directory, FakeClock()).authorize(owner, "config:write").user_id == OWNER


# -- the Discord look-ups -----------------------------------------------------------------------------------------


def discord(answers: dict[str, httpx.Response]) -> tuple[DiscordGuildDirectory, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[request.url.path.removeprefix("/api/v10")]

    client = httpx.Client(transport=httpx.MockTransport(handle))
    rest = DiscordRest(
        "https://discord.test/api/v10", "42", bot_token=lambda: "bot", client=client, sleep=lambda _: None
    )
    return DiscordGuildDirectory(rest), seen


def member_json(roles: list[str], timeout: str | None = None) -> dict[str, object]:
    return {"user": {"id": USER}, "roles": roles, "communication_disabled_until": timeout}


def test_the_directory_reads_the_member_the_roles_and_the_owner_with_the_bot_token() -> None:
    directory, seen = discord(
        {
            f"/guilds/{GUILD}/members/{USER}": httpx.Response(
                200, json=member_json([MANAGERS], "2026-01-01T00:00:00Z")
            ),
            f"/guilds/{GUILD}": httpx.Response(200, json={"id": GUILD, "owner_id": OWNER}),
            f"/guilds/{GUILD}/roles": httpx.Response(
                200, json=[{"id": GUILD, "permissions": "1024"}, {"id": MANAGERS, "permissions": "32"}]
            ),
        }
    )
    member = directory.member(GUILD, USER)
    assert member == MemberSnapshot(USER, (MANAGERS,), 1767225600.0)
    assert directory.guild(GUILD) == GuildSnapshot(GUILD, OWNER, {GUILD: 1024, MANAGERS: 32})
    assert [r.method for r in seen] == ["GET", "GET", "GET"]
    assert all(r.headers["authorization"] == "Bot bot" for r in seen)


@pytest.mark.parametrize(
    ("status", "code"),
    [(404, 10007), (404, 10013), (404, 10004), (403, 50001)],
    ids=["member", "user", "guild", "access"],
)
def test_not_a_member_answers(status: int, code: int) -> None:
    path = f"/guilds/{GUILD}/members/{USER}"
    directory, _ = discord({path: httpx.Response(status, json={"code": code, "message": "Unknown"})})
    assert directory.member(GUILD, USER) is None


def test_a_server_the_bot_cannot_see() -> None:
    directory, _ = discord({f"/guilds/{GUILD}": httpx.Response(404, json={"code": 10004, "message": "Unknown Guild"})})
    assert directory.guild(GUILD) is None


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(401, json={"code": 0, "message": "401: Unauthorized"}),
        httpx.Response(500, json={}),
        httpx.Response(404, json={"code": 0, "message": "404: Not Found"}),
    ],
    ids=["bad bot token", "server error", "a 404 that is not Unknown Member"],
)
def test_anything_else_is_unavailable(answer: httpx.Response) -> None:
    directory, _ = discord({f"/guilds/{GUILD}/members/{USER}": answer})
    with pytest.raises(RightsUnavailable):
        directory.member(GUILD, USER)


def test_a_guild_answer_without_an_owner_is_unavailable() -> None:
    directory, _ = discord(
        {
            f"/guilds/{GUILD}": httpx.Response(200, json={"id": GUILD}),
            f"/guilds/{GUILD}/roles": httpx.Response(200, json=[]),
        }
    )
    with pytest.raises(RightsUnavailable):
        directory.guild(GUILD)


def test_role_bitfields_that_are_not_decimal_grant_nothing() -> None:
    roles = [{"id": GUILD, "permissions": "-1"}, {"id": MANAGERS, "permissions": "0x20"}, {"id": ADMINS}]
    directory, _ = discord(
        {
            f"/guilds/{GUILD}": httpx.Response(200, json={"id": GUILD, "owner_id": OWNER}),
            f"/guilds/{GUILD}/roles": httpx.Response(200, content=json.dumps(roles).encode()),
        }
    )
    found = directory.guild(GUILD)
    assert found is not None and set(found.role_permissions.values()) == {0}
