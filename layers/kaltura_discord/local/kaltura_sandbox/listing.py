"""What every ``list`` action of the sandbox shares, as kaltura/server does it.

- A typed filter object (``objectType``) and a ``KalturaFilterPager``; anything else in their place is refused
  (``INVALID_OBJECT_TYPE``). A filter field the sandbox does not emulate is refused too
  (``SANDBOX_UNSUPPORTED_FILTER``): ignoring it would list more than the server does.
- ``...In`` values are comma-separated strings.
- Entry filters (rooms, recordings): with neither ``idEqual`` nor a status filter the server lists READY entries
  only (``setDefaultStatus``, api_v3/lib/types/entry/filters/KalturaBaseEntryFilter.php); a status value outside
  ``KalturaEntryStatus`` is refused.
- ``KalturaFilterPager``: the page size is clamped to 1-500, not refused; pages count from 1.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, TypeVar

from kaltura_discord.local.kaltura_sandbox import errors
from kaltura_discord.local.kaltura_sandbox.errors import ApiError

MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 30
STATUS_FILTERS = ("statusEqual", "statusIn", "statusNotEqual", "statusNotIn")

T = TypeVar("T")


def values(text: Any) -> set[str]:
    """The values of an ``...In`` filter field."""
    return {v.strip() for v in str(text).split(",") if v.strip()}


def read_filter(
    params: Mapping[str, Any], *, default_type: str, types: Collection[str], fields: Collection[str]
) -> tuple[dict[str, Any], Mapping[str, Any]]:
    """(the filter's conditions, the pager) of a list call."""
    raw_filter = params.get("filter") or {}
    raw_pager = params.get("pager") or {}
    if not isinstance(raw_filter, dict) or not isinstance(raw_pager, dict):
        raise errors.invalid_object_type("filter/pager")
    filter_type = str(raw_filter.get("objectType", default_type))
    if filter_type not in types:
        raise errors.invalid_object_type(filter_type)
    conditions = {k: v for k, v in raw_filter.items() if k != "objectType" and v is not None}
    unknown = set(conditions) - set(fields)
    if unknown:
        raise ApiError(
            "SANDBOX_UNSUPPORTED_FILTER",
            f"The sandbox does not emulate {default_type} fields: {', '.join(sorted(unknown))}",
        )
    return conditions, raw_pager


def entry_statuses(conditions: dict[str, Any], statuses: tuple[int, ...], ready: int) -> None:
    """Check the status filters of an entry list, and force READY where the server does."""
    for name in STATUS_FILTERS:
        for value in values(conditions.get(name, "")):
            errors.enum(value, name, "KalturaEntryStatus", statuses)
    if "idEqual" not in conditions and not any(name in conditions for name in STATUS_FILTERS):
        conditions["statusEqual"] = ready


def page(found: list[T], pager: Mapping[str, Any]) -> list[T]:
    """The page the pager asks for."""
    size = min(max(errors.integer(pager.get("pageSize", DEFAULT_PAGE_SIZE), "pageSize"), 1), MAX_PAGE_SIZE)
    index = max(errors.integer(pager.get("pageIndex", 1), "pageIndex"), 1)
    return found[(index - 1) * size : index * size]
