"""Deprecating a route or a whole API version, as docs/versioning.md promises.

A deprecated route keeps working; each of its responses (errors included) carries

- ``Deprecation: @<unix time>`` (RFC 9745): since when it is deprecated,
- ``Sunset: <HTTP-date>`` (RFC 8594): when it stops working,
- ``Link: <successor>; rel="successor-version"``: what replaces it, when something does,

and the OpenAPI document marks the operation ``deprecated`` with the same facts under ``x-deprecation``.
Mark a route with ``@deprecated(...)`` beneath the route decorator, or a whole version with
``ApiVersion(..., deprecation=...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Final, TypeVar

ATTRIBUTE: Final = "__api_deprecation__"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Deprecation:
    since: datetime
    sunset: datetime
    successor: str | None = None

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.sunset.tzinfo is None:
            raise ValueError("deprecation dates must carry a time zone")
        if self.sunset <= self.since:
            raise ValueError("the sunset must come after the deprecation")

    def headers(self) -> dict[str, str]:
        headers = {
            "Deprecation": f"@{int(self.since.timestamp())}",
            "Sunset": format_datetime(self.sunset.astimezone(UTC), usegmt=True),
        }
        if self.successor:
            headers["Link"] = f'<{self.successor}>; rel="successor-version"'
        return headers

    def openapi(self) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "since": self.since.astimezone(UTC).isoformat(),
            "sunset": self.sunset.astimezone(UTC).isoformat(),
        }
        if self.successor:
            extra["successor"] = self.successor
        return {"x-deprecation": extra}


def deprecated(deprecation: Deprecation) -> Callable[[F], F]:
    """Mark an endpoint function; put it below ``@router.get(...)`` so it applies before the route is built."""

    def mark(endpoint: F) -> F:
        setattr(endpoint, ATTRIBUTE, deprecation)
        return endpoint

    return mark


def deprecation_of(endpoint: Callable[..., Any]) -> Deprecation | None:
    found = getattr(endpoint, ATTRIBUTE, None)
    return found if isinstance(found, Deprecation) else None
