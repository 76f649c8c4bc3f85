"""CloudWatch metrics as log lines (the embedded metric format): no client, no call, no extra cold start.

One line per worker job, written by the worker's Lambda entry point: CloudWatch turns it into the ``Jobs`` and
``JobFailures`` metrics in the ``kaltura-discord`` namespace, by function and by the job's status. template.yaml's
``WorkerErrorsAlarm`` watches ``JobFailures``. Lines are written only on Lambda (``AWS_LAMBDA_FUNCTION_NAME`` set),
so ``make run`` and the tests print none unless they ask.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO

NAMESPACE = "kaltura-discord"
JOBS = "Jobs"
JOB_FAILURES = "JobFailures"
FAILED_PREFIX = "failed"
"""Statuses that count as failures: ``failed``, ``failed_unreported``, ``failed_claim``."""


def is_failure(status: str) -> bool:
    return status.startswith(FAILED_PREFIX)


def job_metric(
    status: str,
    *,
    function_name: str,
    properties: Mapping[str, Any] | None = None,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """The embedded-metric-format document for one finished job."""
    return {
        "_aws": {
            "Timestamp": int(clock() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [["FunctionName"], ["FunctionName", "Status"]],
                    "Metrics": [{"Name": JOBS, "Unit": "Count"}, {"Name": JOB_FAILURES, "Unit": "Count"}],
                }
            ],
        },
        "FunctionName": function_name,
        "Status": status,
        JOBS: 1,
        JOB_FAILURES: 1 if is_failure(status) else 0,
        **{key: value for key, value in (properties or {}).items() if value is not None},
    }


def emit_job(
    status: str,
    properties: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
) -> bool:
    """Write the job's metric line to stdout when running on Lambda; True when one was written."""
    function_name = (os.environ if environ is None else environ).get("AWS_LAMBDA_FUNCTION_NAME")
    if not function_name:
        return False
    line = json.dumps(job_metric(status, function_name=function_name, properties=properties), separators=(",", ":"))
    out = stream or sys.stdout
    out.write(line + "\n")
    out.flush()
    return True
