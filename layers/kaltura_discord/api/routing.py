"""API versions and the route class every versioned route is built with.

An :class:`ApiVersion` collects its routes (``@VERSION.get(...)``) and adds them to the app once, when mounted, so
each route is built a single time (an included ``APIRouter`` would build them again on the first request). The
route class wraps every handler so that whatever it raises becomes the error envelope of its version, refuses
query parameters the route does not declare (a typo is not silently ignored), and adds ``Cache-Control: no-store``
and, for deprecated routes, the deprecation headers, to every response.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from kaltura_discord.api.deprecation import Deprecation, deprecation_of
from kaltura_discord.api.errors import ApiError, response_for

F = TypeVar("F", bound=Callable[..., Any])
VERSIONS_PACKAGE = "kaltura_discord.api.versions"
_VERSION_MODULE = re.compile(r"^v([0-9]+)$")
ALWAYS_HEADERS = {"Cache-Control": "no-store"}


def request_reference(request: Request) -> str | None:
    """The Lambda request id, which the logs carry too, so a person can quote it."""
    context = request.scope.get("aws.context")
    reference = getattr(context, "aws_request_id", None)
    return str(reference) if reference else None


def _query_names(dependant: Dependant) -> frozenset[str]:
    """Every query parameter the route and its dependencies declare."""
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return frozenset(names)


class VersionedRoute(APIRoute):
    api_version: ClassVar[ApiVersion]

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        deprecation = deprecation_of(endpoint) or self.api_version.deprecation
        self.extra_headers = dict(ALWAYS_HEADERS)
        if deprecation is not None:
            kwargs["deprecated"] = True
            kwargs["openapi_extra"] = {**(kwargs.get("openapi_extra") or {}), **deprecation.openapi()}
            self.extra_headers.update(deprecation.headers())
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        semver, headers = self.api_version.semver, self.extra_headers
        known = _query_names(self.dependant)

        async def handle(request: Request) -> Response:
            try:
                unknown = sorted(set(request.query_params) - known)
                if unknown:
                    raise ApiError(
                        422,
                        "validation_failed",
                        "The request has query parameters this route does not take (a typo?).",
                        details=[(f"query.{name}"[:100], "unknown parameter") for name in unknown[:20]],
                    )
                response = await handler(request)
            except Exception as exc:
                response = response_for(exc, semver, request_reference(request))
            for name, value in headers.items():
                if name not in response.headers:
                    response.headers[name] = value
            return response

        return handle


class ApiVersion:
    """One major version of the API (``/v1``): its semantic version, its routes, and whether it is deprecated."""

    def __init__(self, number: int, semver: str, *, deprecation: Deprecation | None = None) -> None:
        if not semver.startswith(f"{number}."):
            raise ValueError(f"version {semver} does not belong under /v{number}")
        self.number = number
        self.semver = semver
        self.deprecation = deprecation
        self.prefix = f"/v{number}"
        self.route_class: type[VersionedRoute] = type(
            f"V{number}Route", (VersionedRoute,), {"api_version": self, "__module__": __name__}
        )
        self._routes: list[tuple[str, str, Callable[..., Any], dict[str, Any]]] = []
        self.documented: list[type[BaseModel]] = []

    def body(self, model: type[BaseModel], description: str, **extra: Any) -> dict[str, Any]:
        """A documented JSON response, referenced by name: no pydantic field is built for it when the app starts
        (routes return ``JSONResponse``), and its schema is generated only with the OpenAPI document."""
        self.documented.append(model)
        schema = {"$ref": f"#/components/schemas/{model.__name__}"}
        return {"description": description, "content": {"application/json": {"schema": schema}}, **extra}

    def route(self, method: str, path: str, **options: Any) -> Callable[[F], F]:
        """Record a route; ``options`` are those of ``FastAPI.add_api_route``."""

        def register(endpoint: F) -> F:
            self._routes.append((method, path, endpoint, options))
            return endpoint

        return register

    def get(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route("POST", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route("DELETE", path, **options)

    def mount(self, app: FastAPI) -> None:
        for method, path, endpoint, options in self._routes:
            app.router.add_api_route(
                self.prefix + path, endpoint, methods=[method], route_class_override=self.route_class, **options
            )


def discover_versions() -> list[ApiVersion]:
    """Every ``versions/v<N>`` module's ``VERSION``, oldest first."""
    package = importlib.import_module(VERSIONS_PACKAGE)
    found: list[ApiVersion] = []
    for module in pkgutil.iter_modules(package.__path__):
        if _VERSION_MODULE.fullmatch(module.name):
            version = importlib.import_module(f"{VERSIONS_PACKAGE}.{module.name}").VERSION
            if not isinstance(version, ApiVersion):
                raise TypeError(f"{module.name}.VERSION is not an ApiVersion")
            found.append(version)
    return sorted(found, key=lambda version: version.number)
