"""The versioned REST API: FastAPI behind API Gateway (through Mangum), under ``/v1``.

- :mod:`~kaltura_discord.api.app`: ``create_app()``, the one FastAPI application with every version mounted.
- :mod:`~kaltura_discord.api.routing`: ``ApiVersion`` and the route class (envelope, errors, deprecation headers).
- :mod:`~kaltura_discord.api.deprecation`: ``Deprecation`` and the ``@deprecated`` marker.
- :mod:`~kaltura_discord.api.versions`: one module per version (``v1``); adding ``/v2`` is adding a module there.

Every success is ``{"version": "<api semver>", "data": ...}``; every error is
``{"version": ..., "error": {"code": ..., "message": ...}}``. Tokens come from :mod:`kaltura_discord.auth`.
"""
