"""template.yaml keeps the promises the code relies on."""

from __future__ import annotations

from typing import Any

import pytest

from kaltura_discord.local.tables import load_template

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return dict(load_template()["Resources"])


def test_worker_is_never_retried_blindly_and_drops_stale_events(resources: dict[str, Any]) -> None:
    config = resources["WorkerAsyncConfig"]["Properties"]
    assert config["MaximumRetryAttempts"] == 0
    assert config["MaximumEventAgeInSeconds"] < 15 * 60


def test_table_has_string_keys_ttl_and_point_in_time_recovery(resources: dict[str, Any]) -> None:
    table = resources["Table"]["Properties"]
    assert {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]} == {"pk": "S", "sk": "S"}
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_interactions_route_and_worker_wiring(resources: dict[str, Any]) -> None:
    interactions = resources["InteractionsFunction"]["Properties"]
    event = interactions["Events"]["Interactions"]["Properties"]
    assert (event["Path"], event["Method"]) == ("/interactions", "POST")
    assert interactions["Environment"]["Variables"]["WORKER_FUNCTION_NAME"] == "WorkerFunction"
    assert interactions["Timeout"] <= 3
    assert interactions["Handler"] == "app.handler"


def test_current_python_runtime(resources: dict[str, Any]) -> None:
    assert load_template()["Globals"]["Function"]["Runtime"] == "python3.13"
    assert resources["SharedLayer"]["Metadata"]["BuildMethod"] == "makefile"
