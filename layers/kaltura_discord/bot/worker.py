"""The worker: runs a deferred job once per interaction and edits the original response with its result.

Built for faults: the claim on the job ledger is retried with back-off within the interaction token's life (a
storage hiccup is not a crash); a job function that already reached Discord is never followed by a generic
"something went wrong" edit (it could overwrite a live meeting card); and the outcome is recorded even when
Discord could not be told.
"""

from __future__ import annotations

import importlib
import time
import uuid
from collections.abc import Callable
from typing import Any

from kaltura_discord import i18n
from kaltura_discord.bot.jobs import JOB_HANDLERS, Job
from kaltura_discord.discord import responses
from kaltura_discord.discord.rest import DiscordError, DiscordRest, get_rest
from kaltura_discord.discord.router import UserFacingError
from kaltura_discord.i18n import Message, lazy_gettext
from kaltura_discord.logs import get_logger
from kaltura_discord.storage.jobs import JobLedger

log = get_logger(__name__)

JobFunction = Callable[[Job, DiscordRest], dict[str, Any] | None]
STORAGE_BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)
"""Waits between attempts at the job ledger (about 30 s in all), always within the token's life."""


def generic_failure(interaction_id: str) -> Message:
    """English as a ``str``; the worker tells the member in their language (``i18n.for_reply(job).render``)."""
    return lazy_gettext(
        "Something went wrong on our side while doing that. Please try again; if it keeps happening, "
        "tell a server admin (reference `{reference}`).",
        reference=interaction_id,
    )


def storage_down(interaction_id: str) -> Message:
    return lazy_gettext(
        "The bot's storage did not answer, so this was not done. Please try again in a minute; if it keeps "
        "happening, tell a server admin (reference `{reference}`).",
        reference=interaction_id,
    )


class Worker:
    def __init__(
        self,
        ledger: JobLedger | None = None,
        rest: DiscordRest | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._ledger = ledger or JobLedger()
        self._rest = rest
        self._clock = clock
        self._sleep = sleep
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

    def _with_storage_retries(self, job: Job, call: Callable[[], Any]) -> Any:
        """``call``, tried again after storage failures while the token lives; the last failure is raised."""
        for pause in (*STORAGE_BACKOFF_SECONDS, None):
            try:
                return call()
            except Exception as exc:
                if pause is None or self._clock() + pause >= job.deadline or _is_answer(exc):
                    raise
                log.warning(
                    "job ledger call failed; retrying",
                    extra={"interaction_id": job.interaction_id, "error_type": type(exc).__name__, "wait_s": pause},
                )
                self._sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

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
        claim_id = uuid.uuid4().hex
        try:
            claimed = self._with_storage_retries(
                job, lambda: self._ledger.claim(job.interaction_id, job.kind, claim_id)
            )
        except Exception as exc:
            log.error("could not claim the job", extra={**context, "error_type": type(exc).__name__})
            text = i18n.for_reply(job).render(storage_down(job.interaction_id))
            self._tell(job, responses.message_body(text), context)
            return {"status": "failed_claim"}
        if not claimed:
            log.info("duplicate job ignored", extra=context)
            return {"status": "duplicate"}
        status, body = self._execute(job, context)
        if body is not None and not self._tell(job, body, context):
            status = f"{status}_unreported"
        try:
            self._with_storage_retries(job, lambda: self._ledger.complete(job.interaction_id, status))
        except Exception as exc:
            log.error("could not record the job's outcome", extra={**context, "error_type": type(exc).__name__})
        log.info("job finished", extra={**context, "status": status})
        return {"status": status}

    def _execute(self, job: Job, context: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
        try:
            return "succeeded", self._function(job.kind)(job, self.rest)
        except UserFacingError as exc:
            return "refused", responses.message_body(i18n.for_reply(job).render(exc.text))
        except DiscordError as exc:
            # The job already spoke to Discord (or tried to): another edit could overwrite what it showed.
            log.error("job could not reach Discord", extra={**context, "discord_status": exc.status, "error": str(exc)})
            return "failed_unreported", None
        except Exception:
            log.exception("job failed", extra=context)
            return "failed", responses.message_body(i18n.for_reply(job).render(generic_failure(job.interaction_id)))

    def _tell(self, job: Job, body: dict[str, Any], context: dict[str, Any]) -> bool:
        if not job.token:  # a scheduled job: no interaction to answer; its function told whom it had to
            log.info("scheduled job outcome", extra={**context, "said": str(body.get("content", ""))[:200]})
            return True
        try:
            self.rest.edit_original(job.token, body, deadline=job.deadline)
        except DiscordError as exc:
            log.error(
                "could not edit the original response",
                extra={**context, "discord_status": exc.status, "error": str(exc)},
            )
            return False
        return True


def _is_answer(exc: Exception) -> bool:
    """A refusal that trying again will not change (a failed condition, a validation error)."""
    from kaltura_discord.aws import RETRYABLE_CODES

    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    code = response.get("Error", {}).get("Code")
    return bool(code) and code not in RETRYABLE_CODES


_worker: Worker | None = None


class JobFailed(RuntimeError):
    """Raised by :func:`handler` after a job ended ``failed*``, so the invocation fails: Lambda counts an error
    and sends the event to the OnFailure destination (template.yaml's failure queue; no retry)."""


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The worker function's entry point (asynchronous invoke). Every line it logs carries the Lambda request id
    and the interaction id; one metric line per job records its status (:mod:`kaltura_discord.metrics`)."""
    from kaltura_discord import logs, metrics

    global _worker  # noqa: PLW0603 - one per container
    fields = event if isinstance(event, dict) else {}
    interaction_id, kind = fields.get("interaction_id"), fields.get("kind")
    with logs.request_context(request_id=logs.lambda_request_id(context), interaction_id=interaction_id):
        log.debug("job received", extra={"job_kind": kind})
        if _worker is None:
            from kaltura_discord.scheduler import note_invoked_function_arn

            note_invoked_function_arn(getattr(context, "invoked_function_arn", None))
            _worker = Worker()
        result = _worker.run(event)
        status = str(result.get("status"))
        request_id = logs.lambda_request_id(context)
        metrics.emit_job(status, {"job_kind": kind, "interaction_id": interaction_id, "request_id": request_id})
        if metrics.is_failure(status):
            raise JobFailed(f"job {interaction_id} ({kind}) ended {status}")
        return result
