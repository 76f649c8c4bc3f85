"""Property-based: schemathesis generates requests from the API's own OpenAPI document and checks that no
response is a 5xx and every response conforms to the document (status, content type, headers, body schema), and
that schema-violating requests are refused.

The app runs in-process (schemathesis's ASGI transport) against moto's DynamoDB and the Kaltura sandbox. Each case
carries a token with every scope (through schemathesis's auth hook, so the cases that leave the token out on
purpose stay without one) for a server of its own: a case that Hypothesis replays to shrink it meets the same
state as the first time.
"""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from kaltura_discord.api.app import create_app
from kaltura_discord.auth.keys import KeyRing
from kaltura_discord.auth.tokens import mint_api_token, parse_scopes
from tests.unit.auth.support import ALL_SCOPES, KEYS_JSON, USER

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 50
WORKFLOWS = 15
# Schema-valid requests the API may still refuse: the domain's rules go beyond what a JSON schema can say (a title
# of spaces, a setting out of range: 422), If-Match names another version (412), a join link was used (410).
ACCEPTED_REFUSALS = ["2xx", "3xx", "401", "403", "404", "409", "410", "412", "422"]
# DELETE ends a meeting, which stays readable (status "ended") for 90 days: not the deleted-resource-is-404 model.
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ACCEPTED_REFUSALS},
            "use_after_free": {"enabled": False},
        }
    }
)
_guilds = itertools.count(1_100_000_000_000_000_000)
KEYRING = KeyRing.from_json(KEYS_JSON)


def token_for_a_fresh_server() -> str:
    return mint_api_token(
        guild_id=str(next(_guilds)),
        user_id=USER,
        display_name="Schemathesis",
        role_ids=(),
        scopes=parse_scopes(ALL_SCOPES),
        keyring=KEYRING,
    ).token


schema = schemathesis.openapi.from_asgi("/v1/openapi.json", create_app(), config=CONFIG)


@schema.auth(refresh_interval=None)
class FreshServerToken:
    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
        return token_for_a_fresh_server()

    def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


SETTINGS = {"deadline": None, "database": None}


@pytest.fixture(autouse=True)
def _public_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process (ASGI) there is no API Gateway event to name the deployment: its operator's setting does."""
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://testserver")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    **SETTINGS,  # type: ignore[arg-type]
)
def test_no_server_errors_and_responses_match_the_document(case: schemathesis.Case, api_backends: str) -> None:
    case.call_and_validate()


def test_workflows_follow_the_documents_links(api_backends: str) -> None:
    """Stateful: start a meeting, then read, join and end it through the OpenAPI links, in generated orders, each
    workflow in a server of its own."""

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            self.token = token_for_a_fresh_server()

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            return {"headers": {"Authorization": f"Bearer {self.token}"}}

    run_state_machine_as_test(
        Workflow,
        settings=settings(
            max_examples=WORKFLOWS,
            stateful_step_count=8,
            suppress_health_check=list(HealthCheck),
            **SETTINGS,  # type: ignore[arg-type]
        ),
    )
