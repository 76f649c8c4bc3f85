"""The cache against moto's DynamoDB server: DynamoDB calls are counted on the client itself."""

from __future__ import annotations

import math
from collections.abc import Iterator

import boto3
import pytest

from kaltura_discord.config import (
    ConfigService,
    ConfigStore,
    DynamoConfigTable,
    config_service,
    get_config,
    set_config_service,
)
from tests.integration.config.clients import CountingCalls

pytestmark = pytest.mark.integration

GUILD = "100000000000000001"
ACTOR = "200000000000000001"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def counting(table_name: str, dynamodb_endpoint: str) -> CountingCalls:
    return CountingCalls(boto3.client("dynamodb", endpoint_url=dynamodb_endpoint))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(counting: CountingCalls, clock: Clock) -> ConfigService:
    return ConfigService(ConfigStore(DynamoConfigTable(client=counting)), ttl_seconds=60, clock=clock)


@pytest.fixture
def default_service() -> Iterator[None]:
    set_config_service(None)
    yield
    set_config_service(None)


def test_a_thousand_warm_lookups_cost_one_read_per_ttl(
    service: ConfigService, counting: CountingCalls, clock: Clock
) -> None:
    service.set_value(GUILD, "kaltura.end_action", "delete", actor_id=ACTOR)
    service.invalidate()
    counting.calls.clear()

    for _ in range(1000):
        assert service.get(GUILD).kaltura.end_action == "delete"
    assert counting.calls == {"get_item": 1}

    counting.calls.clear()
    service.invalidate()
    step = 0.25  # 1000 lookups spread over 250 s with a 60 s TTL: reads at 0, 60, 120, 180 and 240 s
    for _ in range(1000):
        assert service.get(GUILD).kaltura.end_action == "delete"
        clock.now += step
    assert counting.calls == {"get_item": math.ceil(1000 * step / 60)}


def test_a_write_through_the_service_needs_no_read_to_be_seen(service: ConfigService, counting: CountingCalls) -> None:
    service.get(GUILD)
    service.set_value(GUILD, "roles.default", "moderator", actor_id=ACTOR)
    assert counting.calls == {"get_item": 2, "transact_write_items": 1}  # the lookup, then the update's own read
    assert service.get(GUILD).roles.default == "moderator"
    assert counting.calls == {"get_item": 2, "transact_write_items": 1}


def test_the_containers_service_reads_the_table_from_the_environment(table_name: str, default_service: None) -> None:
    config_service().set_value(GUILD, "kaltura.join_link_ttl_seconds", "1200", actor_id=ACTOR)
    set_config_service(None)  # a new container
    assert get_config(GUILD).kaltura.join_link_ttl_seconds == 1200
    assert config_service().get_overrides(GUILD) == ({"kaltura": {"join_link_ttl_seconds": 1200}}, 1)
