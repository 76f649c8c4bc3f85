"""Kaltura's API errors as the server sends them: code, message text and argument names.

Texts and argument names are copied from ``api_v3/lib/KalturaErrors.php`` (which extends
``alpha/apps/kaltura/lib/errors/APIErrors.php``); each constant there reads ``CODE;ARG1,ARG2;message with @ARG1@``.
An error with no arguments is sent with ``"args": []`` (PHP's ``json_encode`` of an empty array), one with
arguments as an object.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# ks.php / kSessionBase error numbers and names, as they appear in INVALID_KS messages
# (alpha/apps/kaltura/lib/request/kSessionBase.class.php).
KS_INVALID_STR = (-1, "INVALID_STR")
KS_INVALID_PARTNER = (-2, "INVALID_PARTNER")
KS_INVALID_TYPE = (-4, "INVALID_TYPE")
KS_EXPIRED = (-5, "EXPIRED")
KS_LOGOUT = (-6, "LOGOUT")


class ApiError(Exception):
    """Raised inside the sandbox's actions; becomes an HTTP 200 ``KalturaAPIException``."""

    def __init__(self, code: str, message: str, args: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.arguments = {k: str(v) for k, v in (args or {}).items()}

    def to_api(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "objectType": "KalturaAPIException",
            "args": self.arguments or [],
        }


def missing_parameter(name: str) -> ApiError:
    return ApiError("MISSING_MANDATORY_PARAMETER", f'Missing parameter "{name}"', {"PARAM_NAME": name})


def missing_ks() -> ApiError:
    return ApiError("MISSING_KS", "Missing KS, session not established")


def invalid_ks(ks: str, error: tuple[int, str]) -> ApiError:
    number, name = error
    return ApiError(
        "INVALID_KS",
        f'Invalid KS "{ks}", Error "{number},{name}"',
        {"KSID": ks, "ERR_CODE": number, "ERR_DESC": name},
    )


def invalid_actions_limit() -> ApiError:
    """``APIErrors::INVALID_ACTIONS_LIMIT``: a KS whose ``actionslimit`` is not a positive number."""
    return ApiError("INVALID_ACTIONS_LIMIT", "Invalid actions limit")


def service_forbidden(service: str, action: str) -> ApiError:
    """``APIErrors::SERVICE_FORBIDDEN``; the argument is ``service->action`` (``KalturaDispatcher``)."""
    target = f"{service}->{action}"
    return ApiError("SERVICE_FORBIDDEN", f"The access to service [{target}] is forbidden", {"SERVICE": target})


def service_does_not_exist(service: str) -> ApiError:
    return ApiError("SERVICE_DOES_NOT_EXISTS", f'Service "{service}" does not exists', {"SRV_NAME": service})


def action_does_not_exist(service: str, action: str) -> ApiError:
    return ApiError(
        "ACTION_DOES_NOT_EXISTS",
        f'Action "{action}" does not exists for service "{service}"',
        {"ACTION_NAME": action, "SERVICE_NAME": service},
    )


def entry_not_found(entry_id: str) -> ApiError:
    return ApiError("ENTRY_ID_NOT_FOUND", f'Entry id "{entry_id}" not found', {"ENTRY_ID": entry_id})


def invalid_field_value(field_name: str) -> ApiError:
    return ApiError("INVALID_FIELD_VALUE", f"value in field [{field_name}] is not valid", {"FIELD_NAME": field_name})


def invalid_object_type(object_type: str) -> ApiError:
    return ApiError("INVALID_OBJECT_TYPE", f'Invalid object type "{object_type}"', {"INVALID_OBJ_TYPE": object_type})


def cannot_be_null(prop: str) -> ApiError:
    return ApiError("PROPERTY_VALIDATION_CANNOT_BE_NULL", f'The property "{prop}" cannot be null', {"PROP_NAME": prop})


def min_length(prop: str, length: int) -> ApiError:
    return ApiError(
        "PROPERTY_VALIDATION_MIN_LENGTH",
        f'The property "{prop}" must have a min length of {length} characters',
        {"PROP_NAME": prop, "MIN_LEN": length},
    )


def not_updatable(prop: str) -> ApiError:
    return ApiError(
        "PROPERTY_VALIDATION_NOT_UPDATABLE", f'The property "{prop}" cannot be updated', {"PROP_NAME": prop}
    )


def invalid_enum(value: Any, name: str, enum_type: str) -> ApiError:
    return ApiError(
        "INVALID_ENUM_VALUE",
        f'Invalid enumeration value "{value}" for parameter "{name}", expecting enumeration type "{enum_type}"',
        {"ENUM_VAL": value, "PARAM_NAME": name, "ENUM_TYPE": enum_type},
    )


def invalid_parameter_type(name: str) -> ApiError:
    return ApiError("INVALID_PARAMETER_TYPE", f'Invalid type for parameter "{name}"', {"PARAM_NAME": name})


def start_session_error(partner_id: str) -> ApiError:
    return ApiError(
        "START_SESSION_ERROR", f"Error while starting session for partner [{partner_id}]", {"PID": partner_id}
    )


def app_token_error(code: str, token_id: str) -> ApiError:
    """``APP_TOKEN_ID_NOT_FOUND`` / ``APP_TOKEN_NOT_ACTIVE`` / ``APP_TOKEN_EXPIRED`` (KalturaErrors.php)."""
    texts = {
        "APP_TOKEN_ID_NOT_FOUND": "not found",
        "APP_TOKEN_NOT_ACTIVE": "not active",
        "APP_TOKEN_EXPIRED": "expired",
    }
    return ApiError(code, f'Application token id "{token_id}" {texts[code]}', {"ID": token_id})


def integer(value: Any, name: str) -> int:
    """A request parameter the server types as int (``KalturaRequestDeserializer`` refuses other text)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid_parameter_type(name) from None


def enum(value: Any, name: str, enum_type: str, allowed: tuple[int, ...]) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number not in allowed:
        raise invalid_enum(value, name, enum_type)
    return number


# plugins/event_notification/lib/errors/KalturaEventNotificationErrors.php
def template_not_found(template_id: Any) -> ApiError:
    return ApiError(
        "EVENT_NOTIFICATION_TEMPLATE_NOT_FOUND",
        f"Event notification template id [{template_id}] not found",
        {"ID": template_id},
    )


def template_wrong_type(template_id: Any, template_type: str) -> ApiError:
    return ApiError(
        "EVENT_NOTIFICATION_WRONG_TYPE",
        f"Event notification template id [{template_id}] is of type [{template_type}]",
        {"ID": template_id, "TYPE": template_type},
    )


def template_duplicate_system_name(name: str) -> ApiError:
    return ApiError(
        "EVENT_NOTIFICATION_TEMPLATE_DUPLICATE_SYSTEM_NAME",
        f"Event notification template with system name [{name}] already exists.",
        {"NAME": name},
    )


def min_value(prop: str, value: int) -> ApiError:
    """``APIErrors::PROPERTY_VALIDATION_MIN_VALUE`` (``KalturaObject::validatePropertyMinValue``)."""
    return ApiError(
        "PROPERTY_VALIDATION_MIN_VALUE",
        f'The property "{prop}" must have a min value of {value}',
        {"PROP_NAME": prop, "MIN_VAL": value},
    )
