"""The deadline arithmetic and the deadline-bound AWS clients, on a fake clock: no sleeps, no network."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

from kaltura_discord import deadline
from kaltura_discord.aws import READ_TIMEOUTS, BoundedClient, CircuitBreaker, ServiceUnavailable
from kaltura_discord.deadline import Deadline, DeadlineExceeded

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class LambdaContext:
    remaining_ms: int

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


# --- deadline ---------------------------------------------------------------------------------------------


def test_first_answer_deadline_from_lambdas_remaining_time_capped_at_three_seconds() -> None:
    clock = Clock()
    assert Deadline.for_first_answer(LambdaContext(2900), clock=clock).remaining() == pytest.approx(2.7)
    assert Deadline.for_first_answer(LambdaContext(10_000), clock=clock).remaining() == pytest.approx(2.8)
    assert Deadline.for_first_answer(None, clock=clock).remaining() == pytest.approx(2.8)  # local: 3 s budget
    assert Deadline.for_first_answer(object(), clock=clock).remaining() == pytest.approx(2.8)


def test_a_rest_api_request_gets_lambdas_remaining_time_capped_at_its_ten_seconds() -> None:
    from kaltura_discord.api.limits import REQUEST_SAFETY_SECONDS, REQUEST_SECONDS

    clock = Clock()
    bound = Deadline.for_invocation(LambdaContext(4000), REQUEST_SECONDS, safety=REQUEST_SAFETY_SECONDS, clock=clock)
    assert bound.remaining() == pytest.approx(3.5)
    local = Deadline.for_invocation(None, REQUEST_SECONDS, safety=REQUEST_SAFETY_SECONDS, clock=clock)
    assert local.remaining() == pytest.approx(9.5)


def test_wall_clock_is_the_earlier_of_the_callers_deadline_and_the_current_one() -> None:
    monotonic, wall = Clock(), Clock()
    wall.now = 5000.0
    assert deadline.wall_clock(5060.0, clock=wall) == 5060.0  # no current deadline: the caller's own
    assert deadline.wall_clock(None, clock=wall) is None
    with deadline.scope(Deadline.after(2.3, clock=monotonic)):  # a 2 s budget after the reserve
        assert deadline.wall_clock(5060.0, clock=wall) == pytest.approx(5002.0)
        assert deadline.wall_clock(5001.0, clock=wall) == 5001.0
        assert deadline.wall_clock(None, clock=wall) == pytest.approx(5002.0)


def test_budget_keeps_the_reserve_and_never_goes_negative() -> None:
    clock = Clock()
    bound = Deadline.after(1.0, clock=clock)
    assert bound.budget() == pytest.approx(0.7)  # 300 ms kept to build and return the answer
    clock.advance(0.8)
    assert bound.budget() == 0.0 and bound.expired
    assert bound.remaining() == pytest.approx(0.2)
    with pytest.raises(DeadlineExceeded):
        bound.require(0.05)


def test_scope_sets_and_restores_the_current_deadline() -> None:
    outer, inner = Deadline.after(2.0), Deadline.after(1.0)
    assert deadline.current() is None
    with deadline.scope(outer):
        assert deadline.current() is outer
        with deadline.scope(inner):
            assert deadline.current() is inner
        assert deadline.current() is outer
    assert deadline.current() is None


# --- bounded clients -------------------------------------------------------------------------------------


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "GetItem")


@dataclass
class FakeAws:
    """Clients whose operations answer from a script; records which timeouts each call was made with."""

    clock: Clock
    script: list[Any] = field(default_factory=list)
    calls: list[tuple[str, float, float]] = field(default_factory=list)
    cost: float = 0.0

    def make(self, connect: float, read: float) -> Any:
        fake = self

        class Client:
            def __getattr__(self, operation: str) -> Callable[..., Any]:
                def run(**_kwargs: Any) -> Any:
                    fake.calls.append((operation, connect, read))
                    fake.clock.advance(fake.cost)
                    outcome = fake.script.pop(0) if fake.script else {"ok": True}
                    if isinstance(outcome, BaseException):
                        raise outcome
                    return outcome

                return run

        return Client()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def aws(clock: Clock) -> FakeAws:
    return FakeAws(clock)


@pytest.fixture
def client(aws: FakeAws, clock: Clock) -> BoundedClient:
    return BoundedClient(
        "dynamodb", lambda: "the standard client", breaker=CircuitBreaker("dynamodb", clock=clock), make=aws.make
    )


def test_without_a_deadline_it_is_the_ordinary_client(client: BoundedClient, aws: FakeAws) -> None:
    assert client.default == "the standard client"
    assert client.upper() == "THE STANDARD CLIENT"  # attribute access passes straight through
    assert aws.calls == []


def test_each_call_gets_the_longest_timeout_that_fits(client: BoundedClient, aws: FakeAws, clock: Clock) -> None:
    with deadline.scope(Deadline.after(2.8, clock=clock)):
        assert client.get_item(Key={}) == {"ok": True}
        clock.advance(1.5)
        client.get_item(Key={})
    (_, connect1, read1), (_, _, read2) = aws.calls
    assert connect1 + read1 <= 2.5 and read1 == max(t for t in READ_TIMEOUTS if t <= 2.5 - connect1)
    assert read2 < read1 and read2 <= 1.0


def test_no_time_left_means_no_call(client: BoundedClient, aws: FakeAws, clock: Clock) -> None:
    with deadline.scope(Deadline.after(0.35, clock=clock)), pytest.raises(ServiceUnavailable):
        client.get_item(Key={})
    assert aws.calls == []


def test_a_read_is_repeated_once_when_time_is_left(client: BoundedClient, aws: FakeAws, clock: Clock) -> None:
    aws.script = [ReadTimeoutError(endpoint_url="x"), {"Item": {}}]
    with deadline.scope(Deadline.after(2.8, clock=clock)):
        assert client.get_item(Key={}) == {"Item": {}}
    assert len(aws.calls) == 2


def test_never_more_than_two_attempts_whatever_the_time(client: BoundedClient, aws: FakeAws, clock: Clock) -> None:
    aws.script = [client_error("ThrottlingException")] * 5
    with deadline.scope(Deadline.after(2.8, clock=clock)), pytest.raises(ServiceUnavailable) as caught:
        client.query()
    assert len(aws.calls) == 2 and caught.value.reason == "ThrottlingException"


def test_a_write_whose_answer_was_lost_is_not_repeated(client: BoundedClient, aws: FakeAws, clock: Clock) -> None:
    aws.script = [ReadTimeoutError(endpoint_url="x")]
    with deadline.scope(Deadline.after(2.8, clock=clock)), pytest.raises(ServiceUnavailable):
        client.put_item(Item={})
    assert [c[0] for c in aws.calls] == ["put_item"]


@pytest.mark.parametrize(
    "never_done",
    [client_error("ProvisionedThroughputExceededException"), EndpointConnectionError(endpoint_url="x")],
    ids=["throttled", "refused"],
)
def test_a_write_that_provably_did_nothing_is_repeated(
    client: BoundedClient, aws: FakeAws, clock: Clock, never_done: Exception
) -> None:
    aws.script = [never_done, {"ok": "second"}]
    with deadline.scope(Deadline.after(2.8, clock=clock)):
        assert client.put_item(Item={}) == {"ok": "second"}


def test_no_repeat_that_cannot_finish_in_time(client: BoundedClient, aws: FakeAws, clock: Clock) -> None:
    aws.cost = 0.9
    aws.script = [ConnectTimeoutError(endpoint_url="x")] * 2
    with deadline.scope(Deadline.after(1.3, clock=clock)), pytest.raises(ServiceUnavailable):
        client.get_item()
    assert len(aws.calls) == 1


def test_an_answer_that_refuses_is_passed_on_untouched(client: BoundedClient, aws: FakeAws, clock: Clock) -> None:
    aws.script = [client_error("ConditionalCheckFailedException")]
    with deadline.scope(Deadline.after(2.8, clock=clock)), pytest.raises(ClientError):
        client.put_item(Item={})
    assert not client.breaker.is_open


def test_the_breaker_fails_fast_probes_every_few_seconds_and_logs_once(
    client: BoundedClient, aws: FakeAws, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    aws.script = [ReadTimeoutError(endpoint_url="x")] * 2
    with deadline.scope(Deadline.after(60, clock=clock)):
        with pytest.raises(ServiceUnavailable):
            client.get_item()
        assert client.breaker.is_open and len(aws.calls) == 2
        for _ in range(50):  # an outage: 50 requests, no call reaches the dead table
            with pytest.raises(ServiceUnavailable):
                client.get_item()
        assert len(aws.calls) == 2
        clock.advance(5.0)
        aws.script = [ReadTimeoutError(endpoint_url="x")] * 2
        with pytest.raises(ServiceUnavailable):
            client.get_item()  # the probe
        assert len(aws.calls) == 4
        clock.advance(5.0)
        assert client.get_item() == {"ok": True}  # the next probe finds it back
        assert not client.breaker.is_open
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count("dependency unavailable; failing fast, probing every few seconds") == 1
    assert messages.count("dependency is back") == 1
