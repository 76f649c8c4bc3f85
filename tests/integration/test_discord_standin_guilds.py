"""The Discord stand-in's server, roles and member routes: shaped as Discord's OpenAPI document says, changed from
tests in Python or over HTTP (``/_standin/guilds/...``), and read by the API's member look-up as Discord would be."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kaltura_discord.auth.discord_members import DiscordGuildDirectory
from kaltura_discord.auth.rights import MANAGE_GUILD, MemberRightsService, RightsUnavailable
from kaltura_discord.discord.rest import DiscordRest
from kaltura_discord.local.discord_standin import DiscordStandIn
from tests.support.openapi import errors

pytestmark = [pytest.mark.integration, pytest.mark.contract]

TOKEN = "standin-guilds-bot-token"
GUILD, OWNER, ADMIN, MEMBER = "1400000000000000000", "1400000000000000001", "1400000000000000002", "1400000000000000003"
MANAGERS = "1400000000000000010"


@pytest.fixture
def standin() -> Iterator[DiscordStandIn]:
    server = DiscordStandIn(bot_token=TOKEN).start()
    server.set_guild(GUILD, owner_id=OWNER, name="Test server")
    server.set_role(GUILD, MANAGERS, str(MANAGE_GUILD), name="Managers")
    server.set_member(GUILD, ADMIN, [MANAGERS], nick="Ada")
    server.set_member(GUILD, MEMBER, [])
    yield server
    server.stop()


def get(standin: DiscordStandIn, path: str, token: str | None = TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bot {token}"} if token else {}
    return httpx.get(standin.api_base_url + path, headers=headers)


def test_the_answers_match_discords_schemas(standin: DiscordStandIn, shared: Path) -> None:
    member = get(standin, f"/guilds/{GUILD}/members/{ADMIN}")
    assert member.status_code == 200
    assert errors(shared, "GuildMemberResponse", member.json()) == []
    assert member.json()["roles"] == [MANAGERS] and member.json()["nick"] == "Ada"

    roles = get(standin, f"/guilds/{GUILD}/roles")
    assert roles.status_code == 200
    for role in roles.json():
        assert errors(shared, "GuildRoleResponse", role) == []
    assert {role["id"]: role["permissions"] for role in roles.json()}[MANAGERS] == "32"
    assert GUILD in {role["id"] for role in roles.json()}, "@everyone's id is the server's"

    guild = get(standin, f"/guilds/{GUILD}")
    assert guild.status_code == 200
    assert errors(shared, "GuildWithCountsResponse", guild.json()) == []
    assert guild.json()["owner_id"] == OWNER


def test_unknown_servers_and_members_answer_as_discord_does(standin: DiscordStandIn) -> None:
    assert get(standin, f"/guilds/{GUILD}/members/1400000000000000099").json() == {
        "code": 10007,
        "message": "Unknown Member",
    }
    for path in ("/guilds/1400000000000000999", "/guilds/1400000000000000999/roles"):
        answer = get(standin, path)
        assert (answer.status_code, answer.json()["code"]) == (404, 10004)
    assert get(standin, f"/guilds/{GUILD}", token=None).status_code == 401
    assert get(standin, f"/guilds/{GUILD}", token="wrong").status_code == 401


def test_the_control_routes_change_what_discord_answers(standin: DiscordStandIn) -> None:
    control = f"{standin.url}/_standin/guilds/{GUILD}"
    assert httpx.put(f"{control}/members/{MEMBER}", json={"roles": [MANAGERS]}).status_code == 204
    assert get(standin, f"/guilds/{GUILD}/members/{MEMBER}").json()["roles"] == [MANAGERS]
    assert httpx.put(f"{control}/roles/{MANAGERS}", json={"permissions": "0"}).status_code == 204
    role = next(r for r in get(standin, f"/guilds/{GUILD}/roles").json() if r["id"] == MANAGERS)
    assert (role["permissions"], role["name"]) == ("0", "Managers")
    assert httpx.delete(f"{control}/members/{MEMBER}").status_code == 204
    assert get(standin, f"/guilds/{GUILD}/members/{MEMBER}").status_code == 404
    assert httpx.put(control, json={"owner_id": MEMBER}).status_code == 204
    assert get(standin, f"/guilds/{GUILD}").json()["owner_id"] == MEMBER

    unknown = f"{standin.url}/_standin/guilds/1400000000000000999/members/{MEMBER}"
    assert httpx.put(unknown, json={"roles": []}).status_code == 404
    assert httpx.put(control, json={}).status_code == 400
    assert httpx.put(f"{control}/members/{MEMBER}", json={"roles": "all"}).status_code == 400
    assert httpx.put(f"{control}/members/{MEMBER}", content=b"{").status_code == 400


def test_the_api_reads_a_members_rights_from_it(standin: DiscordStandIn) -> None:
    rest = DiscordRest(standin.api_base_url, "1000000000000000001", bot_token=lambda: TOKEN, sleep=lambda _: None)
    rights = MemberRightsService(DiscordGuildDirectory(rest), 0)
    try:
        assert rights.rights(GUILD, ADMIN).manages_server
        assert rights.rights(GUILD, OWNER).present is False, "the owner is not a member until added"
        standin.set_member(GUILD, OWNER, [])
        assert rights.rights(GUILD, OWNER).manages_server, "the owner has every permission"
        member = rights.rights(GUILD, MEMBER)
        assert member.present and not member.manages_server
        standin.set_role(GUILD, MANAGERS, "0")
        assert not rights.rights(GUILD, ADMIN).manages_server
        standin.remove_member(GUILD, ADMIN)
        assert not rights.rights(GUILD, ADMIN).present
        calls = [c.path for c in standin.calls("GET")]
        assert f"/guilds/{GUILD}/members/{ADMIN}" in calls and f"/guilds/{GUILD}/roles" in calls
        assert all(c.headers["authorization"] == "[present]" for c in standin.calls("GET"))
        standin.fail_next(r"^GET /guilds/", 503, {"message": "unavailable"}, times=20)
        with pytest.raises(RightsUnavailable):
            rights.rights(GUILD, MEMBER)
    finally:
        rest.close()
