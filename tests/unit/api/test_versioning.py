"""The version router: versions are modules, each with its semantic version; deprecation adds the headers that
docs/versioning.md promises (RFC 9745 Deprecation, RFC 8594 Sunset, Link rel="successor-version").

The deprecated routes and versions here exist only in this test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from kaltura_discord.api.app import create_app
from kaltura_discord.api.deprecation import Deprecation, deprecated
from kaltura_discord.api.errors import ApiError
from kaltura_discord.api.lambda_adapter import make_lambda_handler
from kaltura_discord.api.routing import ApiVersion, discover_versions
from kaltura_discord.api.versions import v1
from tests.unit.api.client import LambdaClient

pytestmark = pytest.mark.unit

SINCE = datetime(2026, 6, 1, tzinfo=UTC)
SUNSET = datetime(2027, 1, 1, tzinfo=UTC)
OLD_WAY = Deprecation(since=SINCE, sunset=SUNSET, successor="/v9/new")
V8_GOING = Deprecation(since=SINCE, sunset=SUNSET, successor="/v9")

V9 = ApiVersion(9, "9.2.1")


@V9.get("/old")
@deprecated(OLD_WAY)
def old_way() -> dict[str, Any]:
    return {"version": V9.semver, "data": {"way": "old"}}


@V9.get("/old-refusal")
@deprecated(OLD_WAY)
def old_refusal() -> dict[str, Any]:
    raise ApiError(403, "forbidden", "no")


@V9.get("/new")
def new_way() -> dict[str, Any]:
    return {"version": V9.semver, "data": {"way": "new"}}


V8 = ApiVersion(8, "8.0.3", deprecation=V8_GOING)


@V8.get("/anything")
def anything() -> dict[str, Any]:
    return {"version": V8.semver, "data": {}}


@pytest.fixture(scope="module")
def versioned() -> LambdaClient:
    return LambdaClient(make_lambda_handler(create_app([v1.VERSION, V8, V9])))


def test_a_deprecated_route_says_so_and_keeps_working(versioned: LambdaClient) -> None:
    answer = versioned.get("/v9/old")
    assert answer.status == 200 and answer.json()["data"] == {"way": "old"}
    assert answer.headers["deprecation"] == "@1780272000"
    assert answer.headers["sunset"] == "Fri, 01 Jan 2027 00:00:00 GMT"
    assert answer.headers["link"] == '</v9/new>; rel="successor-version"'


def test_errors_from_a_deprecated_route_carry_the_headers_too(versioned: LambdaClient) -> None:
    answer = versioned.get("/v9/old-refusal")
    assert (answer.status, answer.error_code, answer.json()["version"]) == (403, "forbidden", "9.2.1")
    assert answer.headers["deprecation"] == "@1780272000"


def test_other_routes_are_untouched(versioned: LambdaClient) -> None:
    for path in ("/v9/new", "/v1/health"):
        answer = versioned.get(path)
        assert answer.status == 200
        assert not {"deprecation", "sunset", "link"} & set(answer.headers), path


def test_a_whole_version_can_be_deprecated(versioned: LambdaClient) -> None:
    answer = versioned.get("/v8/anything")
    assert answer.json()["version"] == "8.0.3"
    assert answer.headers["link"] == '</v9>; rel="successor-version"'
    assert answer.headers["sunset"] == "Fri, 01 Jan 2027 00:00:00 GMT"


def test_each_version_answers_with_its_own_semver(versioned: LambdaClient) -> None:
    assert versioned.get("/v9/nowhere").json()["version"] == "9.2.1"
    assert versioned.get("/v1/nowhere").json()["version"] == "1.2.0"
    assert versioned.get("/elsewhere").json()["version"] == "9.2.1"


def test_the_openapi_document_marks_deprecated_operations() -> None:
    document = create_app([v1.VERSION, V8, V9]).openapi()
    old = document["paths"]["/v9/old"]["get"]
    assert old["deprecated"] is True
    assert old["x-deprecation"] == {
        "since": "2026-06-01T00:00:00+00:00",
        "sunset": "2027-01-01T00:00:00+00:00",
        "successor": "/v9/new",
    }
    assert document["paths"]["/v8/anything"]["get"]["deprecated"] is True
    assert "deprecated" not in document["paths"]["/v9/new"]["get"]
    assert not any(op.get("deprecated") for op in document["paths"]["/v1/meetings"].values())
    assert document["info"]["version"] == "9.2.1"
    assert document["paths"]["/v9/new"]["get"]["operationId"] == "v9_new_way"


def test_versions_are_discovered_from_their_modules() -> None:
    assert [(v.prefix, v.semver) for v in discover_versions()] == [("/v1", "1.2.0")]
    assert discover_versions()[0] is v1.VERSION


def test_the_deprecation_headers_format() -> None:
    later = Deprecation(
        since=datetime(2026, 6, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))),
        sunset=datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),
    )
    assert later.headers() == {"Deprecation": "@1780272000", "Sunset": "Thu, 31 Dec 2026 23:59:59 GMT"}


@pytest.mark.parametrize(
    ("since", "sunset"),
    [(SUNSET, SINCE), (datetime(2026, 6, 1), SUNSET), (SINCE, SINCE)],
)
def test_deprecations_must_make_sense(since: datetime, sunset: datetime) -> None:
    with pytest.raises(ValueError):
        Deprecation(since=since, sunset=sunset)


def test_a_version_number_and_its_semver_must_agree() -> None:
    with pytest.raises(ValueError):
        ApiVersion(2, "1.4.0")
