"""One module (or package) per API version, named ``v<N>`` and exposing ``VERSION`` (an ``ApiVersion``).

``create_app()`` mounts every one it finds here, so adding ``/v2`` is adding ``v2``. A version that is going away
gets ``deprecation=Deprecation(...)`` on its ``ApiVersion`` (see docs/versioning.md).
"""
