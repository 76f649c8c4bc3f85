"""Wrappers around a boto3 DynamoDB client for the config integration tests."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class AtomicCalls:
    """Make each DynamoDB call atomic, as it is in DynamoDB.

    moto undoes a failed transaction by restoring a copy of the whole table taken when the transaction began,
    which also erases writes that other threads committed meanwhile. Serializing single calls (not our
    read-modify-write sequences, whose races are what the tests exercise) removes that artefact.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return call


class CountingCalls:
    """Count the DynamoDB operations made through a client (``calls["get_item"]``...)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if not callable(attribute) or name.startswith("_") or name in {"get_waiter", "get_paginator"}:
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return attribute(*args, **kwargs)

        return call
