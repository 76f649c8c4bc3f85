"""The answers the token gate and the member rights remember: trusted for a while, bounded, failures not kept."""

from __future__ import annotations

import pytest

from kaltura_discord.auth.expiring import Expiring

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_answer_is_trusted_for_its_time_then_asked_again() -> None:
    clock, asked = Clock(), list[str]()

    def read() -> str:
        asked.append("a")
        return "first"

    memory: Expiring[str] = Expiring(60.0, 10, clock)
    assert memory.get(("a",), read) == "first"
    clock.now += 59.9
    assert memory.get(("a",), lambda: "second") == "first"
    clock.now += 0.1
    assert memory.get(("a",), lambda: "second") == "second"
    assert asked == ["a"]


def test_a_failed_read_is_not_remembered_and_the_oldest_go_beyond_the_size() -> None:
    clock = Clock()
    memory: Expiring[int] = Expiring(60.0, 2, clock)

    def failing() -> int:
        raise ConnectionError("storage down")

    with pytest.raises(ConnectionError):
        memory.get(("a",), failing)
    assert memory.get(("a",), lambda: 1) == 1
    memory.get(("b",), lambda: 2)
    memory.get(("c",), lambda: 3)  # "a" is the oldest: dropped
    assert memory.get(("a",), lambda: 10) == 10 and memory.get(("c",), lambda: 30) == 3


def test_put_overrides_what_was_known_and_no_time_keeps_nothing() -> None:
    clock = Clock()
    memory: Expiring[bool] = Expiring(60.0, 10, clock)
    assert memory.get(("token",), lambda: True) is True
    memory.put(("token",), False)  # revoked in this container: refused at once
    assert memory.get(("token",), lambda: True) is False
    nothing: Expiring[bool] = Expiring(0.0, 10, clock)
    nothing.put(("token",), False)
    assert nothing.get(("token",), lambda: True) is True
