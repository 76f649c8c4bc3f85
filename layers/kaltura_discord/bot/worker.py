"""The worker: runs a deferred job once per interaction and edits the original response with its result."""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from typing import Any

from kaltura_discord.bot.jobs import JOB_HANDLERS, Job
from kaltura_discord.discord import responses
from kaltura_discord.discord.rest import DiscordError, DiscordRest, get_rest
from kaltura_discord.discord.router import UserFacingError
from kaltura_discord.logs import get_logger
from kaltura_discord.storage.jobs import JobLedger

log = get_logger(__name__)

JobFunction = Callable[[Job, DiscordRest], dict[str, Any] | None]


def generic_failure(interaction_id: str) -> str:
    return (
        "Something went wrong on our side while doing that. Please try again; if it keeps happening, "
        f"tell a server admin (reference `{interaction_id}`)."
    )


class Worker:
    def __init__(
        self,
        ledger: JobLedger | None = None,
        rest: DiscordRest | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._ledger = ledger or JobLedger()
        self._rest = rest
        self._clock = clock
        self._functions: dict[str, JobFunction] = {}

    @property
    def rest(self) -> DiscordRest:
        if self._rest is None:
            self._rest = get_rest()
        return self._rest

    def _function(self, kind: str) -> JobFunction:
        if kind not in self._functions:
            module_name, _, attribute = JOB_HANDLERS[kind].partition(":")
            self._functions[kind] = getattr(importlib.import_module(module_name), attribute)
        return self._functions[kind]

    def run(self, event: dict[str, Any]) -> dict[str, Any]:
        try:
            job = Job.from_dict(event)
        except TypeError:
            log.error("malformed job event")
            return {"status": "rejected"}
        context = {"interaction_id": job.interaction_id, "job_kind": job.kind}
        if job.kind not in JOB_HANDLERS:
            log.error("unknown job kind", extra=context)
            return {"status": "rejected"}
        if self._clock() > job.deadline:
            log.warning("job arrived after the interaction token expired; giving up", extra=context)
            return {"status": "expired"}
        if not self._ledger.claim(job.interaction_id, job.kind):
            log.info("duplicate job ignored", extra=context)
            return {"status": "duplicate"}
        status, body = "succeeded", None
        try:
            body = self._function(job.kind)(job, self.rest)
        except UserFacingError as exc:
            status, body = "refused", responses.message_body(str(exc))
        except Exception:
            log.exception("job failed", extra=context)
            status, body = "failed", responses.message_body(generic_failure(job.interaction_id))
        if body is not None:
            try:
                self.rest.edit_original(job.token, body, deadline=job.deadline)
            except DiscordError as exc:
                log.error(
                    "could not edit the original response",
                    extra={**context, "discord_status": exc.status, "error": str(exc)},
                )
                status = f"{status}_unreported"
        self._ledger.complete(job.interaction_id, status)
        log.info("job finished", extra={**context, "status": status})
        return {"status": status}


_worker: Worker | None = None


def handler(event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
    """The worker function's entry point (asynchronous invoke)."""
    global _worker  # noqa: PLW0603 - one per container
    if _worker is None:
        _worker = Worker()
    return _worker.run(event)
