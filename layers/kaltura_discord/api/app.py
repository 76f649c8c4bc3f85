"""``create_app()``: the FastAPI application with every API version mounted and the error envelope everywhere.

Errors raised inside a route are turned into envelopes by the route class (see :mod:`.routing`); the handlers
here cover what happens before a route is found (unknown path: 404, wrong method: 405).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from kaltura_discord.api.errors import response_for
from kaltura_discord.api.limits import BodyLimit, RequestDeadline
from kaltura_discord.api.routing import ALWAYS_HEADERS, ApiVersion, VersionedRoute, discover_versions

TITLE = "kaltura-discord REST API"
DESCRIPTION = (
    "Kaltura meetings of a Discord server over HTTP. Authenticate with an API token minted in Discord with "
    "`/kaltura-token create` (`Authorization: Bearer <token>`); a token acts in its own server only, within its "
    "scopes, while it is not revoked and its member still has the rights it needs. "
    "Successes are `{version, data}`, errors `{version, error: {code, message}}`."
)


def _operation_id(route: APIRoute) -> str:
    version = route.api_version.prefix.strip("/") if isinstance(route, VersionedRoute) else "api"
    return f"{version}_{route.name}"


def create_app(versions: Sequence[ApiVersion] | None = None) -> FastAPI:
    mounted = list(versions) if versions is not None else discover_versions()
    if not mounted:
        raise ValueError("an API needs at least one version")
    latest = mounted[-1]
    app = FastAPI(
        title=TITLE,
        description=DESCRIPTION,
        version=latest.semver,
        openapi_url=f"{latest.prefix}/openapi.json",
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=_operation_id,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    for version in mounted:
        version.mount(app)

    def version_for(path: str) -> str:
        return next((v.semver for v in reversed(mounted) if path.startswith(v.prefix + "/")), latest.semver)

    async def outside_routes(request: Request, exc: Exception) -> Response:
        response = response_for(exc, version_for(request.url.path))
        response.headers.update(ALWAYS_HEADERS)
        if response.status_code == 405:
            response.headers["Allow"] = ", ".join(_methods_for(app, request.url.path))
        return response

    app.add_exception_handler(StarletteHTTPException, outside_routes)
    app.add_exception_handler(RequestValidationError, outside_routes)
    app.add_middleware(BodyLimit, version=latest.semver)
    app.add_middleware(RequestDeadline)  # outermost: the body's reading counts too
    app.openapi = lambda: _openapi(app, mounted)  # type: ignore[method-assign]
    return app


def _methods_for(app: FastAPI, path: str) -> list[str]:
    """Starlette names only the first route that matched the path; ``Allow`` must list every method it has."""
    methods: set[str] = set()
    for route in app.router.routes:
        if isinstance(route, APIRoute) and route.path_regex.match(path):
            methods.update(route.methods or ())
    return sorted(methods)


def _openapi(app: FastAPI, versions: Sequence[ApiVersion]) -> dict[str, Any]:
    if app.openapi_schema is None:
        from kaltura_discord.api.openapi import build

        app.openapi_schema = build(app, [model for version in versions for model in version.documented])
    return app.openapi_schema
