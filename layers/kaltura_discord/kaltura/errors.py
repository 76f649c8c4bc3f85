"""The one error type of the Kaltura boundary.

Kaltura answers most failures with HTTP 200 and a ``KalturaAPIException`` body; transport failures (HTTP 5xx,
timeouts, refused connections) are a different kind of problem because trying again may help. Both surface as
:class:`KalturaError`; :class:`KalturaUnavailable` marks the retryable kind. Server messages are scrubbed because
Kaltura echoes the KS back (``Invalid KS "djJ8..."``) and a KS is a bearer credential.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_KS_V2 = re.compile(r"djJ8[A-Za-z0-9_\-+/]+=*")
REDACTED = "[redacted]"


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove every given secret and anything shaped like a v2 KS (base64 of ``v2|``) from ``text``."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return _KS_V2.sub(REDACTED, text)


class KalturaError(Exception):
    """A Kaltura call failed. ``code`` is Kaltura's error code (``ENTRY_ID_NOT_FOUND``, ``INVALID_KS``, ...).

    ``arguments`` holds the exception's ``args`` object (``BaseException.args`` is taken by Python itself).
    """

    retryable = False

    def __init__(
        self,
        code: str,
        message: str = "",
        args: Mapping[str, Any] | None = None,
        *,
        secrets: Iterable[str] = (),
    ) -> None:
        secrets = tuple(secrets)
        self.code = code
        self.message = scrub(message or code, secrets)
        self.arguments: dict[str, str] = {str(key): scrub(str(value), secrets) for key, value in (args or {}).items()}
        super().__init__(f"{self.code}: {self.message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.code, self.message, self.arguments), self.__dict__)

    @classmethod
    def from_api_exception(cls, body: Mapping[str, Any], *, secrets: Iterable[str] = ()) -> KalturaError:
        """Build from a ``KalturaAPIException`` object as Kaltura returns it."""
        raw_args = body.get("args")
        return cls(
            str(body.get("code") or "UNKNOWN_ERROR"),
            str(body.get("message") or ""),
            raw_args if isinstance(raw_args, Mapping) else None,
            secrets=secrets,
        )


class KalturaUnavailable(KalturaError):
    """Kaltura could not be reached or failed on its side (HTTP 5xx/429, timeout, connection error).

    ``request_sent`` is False only when the request provably never left (connection refused, connect timeout):
    the one case where repeating a non-idempotent call such as ``room_room.add`` cannot create a duplicate.
    """

    retryable = True

    def __init__(
        self,
        code: str,
        message: str = "",
        args: Mapping[str, Any] | None = None,
        *,
        secrets: Iterable[str] = (),
        request_sent: bool = True,
    ) -> None:
        super().__init__(code, message, args, secrets=secrets)
        self.request_sent = request_sent
