"""Lambda entry point for the REST API: ``ANY /v1/{proxy+}`` on the HTTP API (payload 2.0).

Two process-wide settings keep the cold start within its 400 ms budget: pydantic does not scan every installed
distribution for plugins, and ``pydantic.v1`` (which FastAPI imports only to refuse v1 models, and handles being
absent) is never imported. Nothing in this function uses either.
"""

import os
import sys

os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
sys.modules.setdefault("pydantic.v1", None)  # type: ignore[arg-type]

from kaltura_discord.api.lambda_adapter import make_lambda_handler  # noqa: E402

handler = make_lambda_handler()
