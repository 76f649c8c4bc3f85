"""The one place that reads settings.

Plain settings come from environment variables. Secrets come from the environment under the same names
locally, and in AWS from one Secrets Manager secret (a JSON object keyed by those names) named by
``SECRETS_ID``, cached per container. Everything is read lazily so the PING path pays for nothing it
does not use.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping
from typing import Any

DEFAULT_DISCORD_API_BASE_URL = "https://discord.com/api/v10"
DEFAULT_KALTURA_SERVICE_URL = "https://www.kaltura.com"
SECRET_NAMES = frozenset(
    {
        "DISCORD_BOT_TOKEN",
        "KALTURA_ADMIN_SECRET",
        "KALTURA_APP_TOKEN",
        "KALTURA_USER_APP_TOKEN",
        "KALTURA_NOTIFICATION_SECRET",
        "JWT_SIGNING_KEYS",
    }
)
SECRETS_MAX_AGE_SECONDS = 300.0


class ConfigurationError(RuntimeError):
    """A required setting is missing or malformed; the message names it in one line."""


def optional(name: str, default: str | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    value = (os.environ if environ is None else environ).get(name, "").strip()
    return value or default


def required(name: str, environ: Mapping[str, str] | None = None) -> str:
    value = optional(name, environ=environ)
    if value is None:
        raise ConfigurationError(f"missing required setting {name}")
    return value


def integer(name: str, default: int, environ: Mapping[str, str] | None = None) -> int:
    raw = optional(name, environ=environ)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"setting {name} must be an integer, got {raw!r}") from None


def discord_api_base_url() -> str:
    return (optional("DISCORD_API_BASE_URL") or DEFAULT_DISCORD_API_BASE_URL).rstrip("/")


def kaltura_service_url() -> str:
    return (optional("KALTURA_SERVICE_URL") or DEFAULT_KALTURA_SERVICE_URL).rstrip("/")


_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::[0-9]{1,5})?$")
_LOOPBACK = re.compile(r"^http://(?:127\.0\.0\.1|localhost)(?::[0-9]{1,5})?$")


def configured_public_base_url() -> str | None:
    """``PUBLIC_BASE_URL``: where people reach this deployment's REST API when it has a custom domain (a template
    parameter; ``make run`` sets its own loopback URL). Read at start, so a malformed value stops the function."""
    configured = optional("PUBLIC_BASE_URL")
    if configured is None:
        return None
    url = configured.rstrip("/")
    scheme, _, host = url.partition("://")
    if not ((scheme == "https" and _HOST.fullmatch(host.lower())) or _LOOPBACK.fullmatch(url)):
        raise ConfigurationError(
            f"PUBLIC_BASE_URL must be https://host[:port] (or http://127.0.0.1:port locally), got {configured!r}"
        )
    return url


def public_base_url(domain_name: str | None, configured: str | None = None) -> str | None:
    """Where join links point: ``configured`` (``PUBLIC_BASE_URL``) when set, else ``https://{domain_name}``,
    ``domain_name`` being the ``requestContext.domainName`` API Gateway put in the event: it names the API the
    request reached, so a forged ``Host`` header cannot choose it. None when neither is known."""
    if configured:
        return configured
    if domain_name and _HOST.fullmatch(domain_name.lower()):
        return f"https://{domain_name.lower()}"
    return None


class _SecretStore:
    """Secrets by name: the environment first, then the JSON secret named by SECRETS_ID (cached)."""

    def __init__(self) -> None:
        self._loaded: dict[str, Any] | None = None
        self._loaded_at = 0.0
        self._secrets_client: Any = None

    def _client(self) -> Any:
        """A deadline-bound Secrets Manager client: on the interactions path a cold read of the secret fits the 3 s
        like every other call (see :mod:`kaltura_discord.aws`). This store is the only cache in front of it."""
        if self._secrets_client is None:
            from kaltura_discord.aws import BoundedClient

            def standard() -> Any:
                import boto3

                return boto3.client("secretsmanager")

            self._secrets_client = BoundedClient("secretsmanager", standard)
        return self._secrets_client

    def clear(self) -> None:
        self._loaded = None

    def _from_secrets_manager(self) -> dict[str, Any]:
        now = time.monotonic()
        if self._loaded is not None and now - self._loaded_at < SECRETS_MAX_AGE_SECONDS:
            return self._loaded
        secret_id = optional("SECRETS_ID")
        if secret_id is None:
            return {}
        # ServiceUnavailable when it did not answer in time (the interactions path), else botocore's own errors.
        response = self._client().get_secret_value(SecretId=secret_id)
        raw = response.get("SecretString")
        if raw is None:
            raw = response.get("SecretBinary", b"")
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise ConfigurationError(f"secret {secret_id} is not a JSON object") from None
        if not isinstance(value, dict):
            raise ConfigurationError(f"secret {secret_id} is not a JSON object")
        self._loaded, self._loaded_at = value, now
        return value

    def get(self, name: str) -> str | None:
        if name not in SECRET_NAMES:
            raise KeyError(name)
        from_env = optional(name)
        if from_env is not None:
            return from_env
        value = self._from_secrets_manager().get(name)
        if value is None or value == "":
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise ConfigurationError(f"missing required setting {name} (environment or the SECRETS_ID secret)")
        return value


secrets = _SecretStore()
