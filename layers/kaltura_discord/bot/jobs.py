"""Deferred work: a handler answers type 5/6 at once and hands a job to the worker.

In AWS the job goes to the worker function by an asynchronous invoke; locally the stack installs a
dispatcher that runs the same job in-process after the HTTP response has been written.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from kaltura_discord import settings
from kaltura_discord.discord import responses
from kaltura_discord.discord.router import UserFacingError
from kaltura_discord.logs import get_logger

if TYPE_CHECKING:
    from kaltura_discord.discord.interaction import Interaction
    from kaltura_discord.discord.responses import InteractionResponse

log = get_logger(__name__)

DISCORD_EPOCH_MS = 1_420_070_400_000
INTERACTION_TOKEN_LIFETIME_SECONDS = 15 * 60
SCHEDULED_JOB_LIFETIME_SECONDS = 60 * 60

# Job kind -> "module:function" taking (Job, DiscordRest) and returning the message body for the original
# response, or None when the function answered by itself. Imported by the worker on first use.
JOB_HANDLERS: dict[str, str] = {
    "status": "kaltura_discord.bot.status:run_status",
    "meeting_start": "kaltura_discord.bot.meetings:run_start",
    "meeting_end": "kaltura_discord.bot.meetings:run_end",
    "meeting_share": "kaltura_discord.bot.meetings:run_share",
    "meeting_schedule": "kaltura_discord.bot.schedule:run_schedule",
    "meeting_reminder": "kaltura_discord.bot.schedule:run_reminder",
    "meeting_scheduled_start": "kaltura_discord.bot.schedule:run_scheduled_start",
    "recording_poll": "kaltura_discord.bot.recordings:run_poll",
    "meeting_late_room": "kaltura_discord.bot.late_rooms:run_late_room",
}


def snowflake_time(snowflake: str) -> float | None:
    """Seconds since the epoch at which Discord created the object with this id."""
    try:
        return ((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000.0
    except ValueError:
        return None


@dataclass(frozen=True)
class Job:
    kind: str
    interaction_id: str
    application_id: str
    token: str
    guild_id: str | None
    channel_id: str | None
    user_id: str
    display_name: str
    role_ids: list[str]
    permissions: int
    payload: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0
    locale: str | None = None
    """The member's and the server's language, from the interaction (``i18n.for_reply(job)`` answers in them);
    None for a scheduled job, and for a job handed over before they were carried."""
    guild_locale: str | None = None

    @classmethod
    def for_interaction(cls, kind: str, interaction: Interaction, payload: dict[str, Any]) -> Job:
        return cls(
            kind=kind,
            interaction_id=interaction.id,
            application_id=interaction.application_id,
            token=interaction.token,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            user_id=interaction.user_id,
            display_name=interaction.display_name,
            role_ids=sorted(interaction.role_ids),
            permissions=interaction.permissions,
            payload=payload,
            created_at=snowflake_time(interaction.id) or time.time(),
            locale=interaction.locale,
            guild_locale=interaction.guild_locale,
        )

    @classmethod
    def scheduled(
        cls, kind: str, key: str, at: float, *, guild_id: str, channel_id: str | None = None, payload: dict[str, Any]
    ) -> Job:
        """A job that runs later (EventBridge Scheduler, or the local scheduler): no interaction token to answer,
        and ``kind:key`` as its ledger id, so a fire that arrives twice acts once. It is dropped
        when it arrives more than an hour after ``at`` (:attr:`deadline`)."""
        return cls(
            kind=kind,
            interaction_id=f"{kind}:{key}",
            application_id=settings.optional("DISCORD_APPLICATION_ID") or "",
            token="",
            guild_id=guild_id,
            channel_id=channel_id,
            user_id="",
            display_name="",
            role_ids=[],
            permissions=0,
            payload=payload,
            created_at=at,
        )

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Job:
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in raw.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def deadline(self) -> float:
        """After this the interaction token no longer works (kept a few seconds short of 15 minutes). A scheduled
        job has no token: it may arrive late (EventBridge Scheduler fires within a minute of its time and retries
        for up to 10 minutes; Lambda's queue holds an event up to 5), so it is not dropped for the first hour."""
        if not self.token:
            return self.created_at + SCHEDULED_JOB_LIFETIME_SECONDS
        return self.created_at + INTERACTION_TOKEN_LIFETIME_SECONDS - 5


class Dispatcher(Protocol):
    def submit(self, job: Job) -> None: ...


class DispatchError(Exception):
    """The job could not be handed to the worker."""


class LambdaDispatcher:
    """Asynchronous invoke (InvocationType=Event) of the worker function named by WORKER_FUNCTION_NAME."""

    def __init__(self, function_name: str) -> None:
        self._function_name = function_name
        self._client: Any = None

    def submit(self, job: Job) -> None:
        """One asynchronous invoke, bounded by the interaction's deadline (repeated at most once, in time: the
        job ledger drops a duplicate)."""
        if self._client is None:
            from kaltura_discord.aws import BoundedClient

            self._client = BoundedClient("lambda", _standard_lambda_client)
        try:
            self._client.invoke(
                FunctionName=self._function_name,
                InvocationType="Event",
                Payload=json.dumps(job.to_dict(), separators=(",", ":")).encode(),
            )
        except Exception as exc:
            raise DispatchError(type(exc).__name__) from exc


def _standard_lambda_client() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("lambda", config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 2}))


_dispatcher: Dispatcher | None = None


def install_dispatcher(dispatcher: Dispatcher | None) -> None:
    """Used by the local stack and tests; AWS uses the Lambda dispatcher."""
    global _dispatcher  # noqa: PLW0603
    _dispatcher = dispatcher


def get_dispatcher() -> Dispatcher:
    global _dispatcher  # noqa: PLW0603
    if _dispatcher is None:
        _dispatcher = LambdaDispatcher(settings.required("WORKER_FUNCTION_NAME"))
    return _dispatcher


def defer(
    interaction: Interaction,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    ephemeral: bool = True,
    update: bool = False,
) -> InteractionResponse:
    """Hand the job to the worker and answer with a deferred response (type 6 when ``update``).

    Nothing is handed over once the answer could no longer reach Discord in time (the person would see "This
    interaction failed" while the work went on). When the hand-off fails, the job is abandoned in the job ledger
    first: if the worker got it after all (the invoke's answer was lost), the deferral is the right answer; if
    not, the record makes sure it never runs late, and the person is told nothing was done.
    """
    from kaltura_discord import deadline

    if kind not in JOB_HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    bound = deadline.current()
    if bound is not None:
        bound.require(0.05)
    job = Job.for_interaction(kind, interaction, payload or {})
    try:
        get_dispatcher().submit(job)
    except DispatchError as exc:
        log.error("job dispatch failed", extra={"interaction_id": interaction.id, "error": str(exc)})
        if _abandon(job) != "already_claimed":
            from kaltura_discord.bot.messages import DISPATCH_FAILED

            raise UserFacingError(DISPATCH_FAILED) from None
    if update:
        return responses.deferred_update()
    return responses.deferred_message(ephemeral=ephemeral)


def _abandon(job: Job) -> str:
    """Best effort: when no time is left (the hand-off used it all) or storage is down, the outcome is unknown."""
    from kaltura_discord import deadline
    from kaltura_discord.aws import ServiceUnavailable
    from kaltura_discord.storage.jobs import get_ledger

    try:
        return get_ledger().abandon(job.interaction_id, job.kind)
    except (ServiceUnavailable, deadline.DeadlineExceeded):
        return "unknown"  # the breaker (or the deadline) already says why; no second log line per request
    except Exception as exc:
        log.warning("could not abandon the job", extra={"interaction_id": job.interaction_id, "error": str(exc)})
        return "unknown"
