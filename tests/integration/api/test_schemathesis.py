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
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from kaltura_discord.api.app import create_app
from kaltura_discord.auth.keys import KeyRing
from kaltura_discord.auth.records import DynamoTokenRecords, TokenRecord
from kaltura_discord.auth.tokens import mint_api_token, parse_scopes, verify_api_token
from kaltura_discord.local.discord_standin import DiscordStandIn
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


class _Tokens:
    """Tokens recorded as /kaltura-token create records them, for servers the stand-in says USER owns.

    Schemathesis asks for some tokens while it collects, before any test (and its table and stand-in) exists: those
    are kept and recorded into every test's table and stand-in, so each token counts wherever it is used."""

    def __init__(self) -> None:
        self.early: list[TokenRecord] = []
        self.records: DynamoTokenRecords | None = None
        self.discord: DiscordStandIn | None = None

    def start(self, discord: DiscordStandIn) -> None:
        self.records, self.discord = DynamoTokenRecords(), discord
        for record in self.early:
            self._record(record)

    def stop(self) -> None:
        self.records = self.discord = None

    def _record(self, record: TokenRecord) -> None:
        assert self.records is not None and self.discord is not None
        self.records.add(record)
        self.discord.set_guild(record.guild_id, owner_id=USER)
        self.discord.set_member(record.guild_id, USER)

    def fresh(self) -> str:
        guild = str(next(_guilds))
        issued = mint_api_token(
            guild_id=guild,
            user_id=USER,
            display_name="Schemathesis",
            role_ids=(),
            scopes=parse_scopes(ALL_SCOPES),
            keyring=KEYRING,
        )
        claims = verify_api_token(issued.token, keyring=KEYRING)
        record = TokenRecord(
            issued.token_id,
            guild,
            USER,
            "Schemathesis",
            tuple(sorted(claims.scopes)),
            claims.issued_at,
            issued.expires_at,
        )
        if self.records is None:
            self.early.append(record)
        else:
            self._record(record)
        return issued.token


TOKENS = _Tokens()


def token_for_a_fresh_server() -> str:
    return TOKENS.fresh()


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


@pytest.fixture(autouse=True)
def _tokens(api_backends: str, discord: DiscordStandIn) -> Iterator[None]:
    """Each test's table holds the token records, and its stand-in the servers' owners (looked up before writes)."""
    TOKENS.start(discord)
    yield
    TOKENS.stop()


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
