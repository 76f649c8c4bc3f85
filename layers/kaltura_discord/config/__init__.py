"""Guild configuration: defaults + per-guild overrides, validated, cached, stored with an audit trail.

Handlers and the meetings code use this face only::

    from kaltura_discord.config import get_config, config_service, render_for

    config = get_config(guild_id)                    # cached; no DynamoDB call when warm
    config.kaltura_role_for(member_role_ids)         # "viewer" | "moderator" | "admin"
    config.commands.policy("kaltura-end").allows(member_role_ids)
    config_service().set_value(guild_id, key, text, actor_id=user_id)

Importing this package does not import boto3 (the PING path must not pay for it).
"""

from kaltura_discord.config.cache import ConfigService, config_service, get_config, set_config_service
from kaltura_discord.config.defaults import Defaults, get_defaults, load_defaults
from kaltura_discord.config.errors import ConfigConflict, ConfigError, ConfigUnavailable, ConfigValidationError
from kaltura_discord.config.keys import (
    KeySpec,
    parse_value,
    resolve_key,
    settable_keys,
    spec_for,
    suggest_keys,
    suggest_values,
)
from kaltura_discord.config.merge import deep_merge, effective_config
from kaltura_discord.config.model import (
    CONFIGURABLE_COMMANDS,
    CommandName,
    CommandPolicy,
    GuildConfig,
    KalturaRole,
    MeetingType,
    NotificationKind,
)
from kaltura_discord.config.store import (
    AuditEntry,
    ConfigChange,
    ConfigStore,
    DynamoConfigTable,
    LoadedConfig,
)
from kaltura_discord.config.templates import (
    PLACEHOLDERS,
    RenderedMessage,
    TemplateError,
    TemplateKind,
    render_for,
    render_template,
    validate_template,
)

__all__ = [
    "CONFIGURABLE_COMMANDS",
    "PLACEHOLDERS",
    "AuditEntry",
    "CommandName",
    "CommandPolicy",
    "ConfigChange",
    "ConfigConflict",
    "ConfigError",
    "ConfigService",
    "ConfigStore",
    "ConfigUnavailable",
    "ConfigValidationError",
    "Defaults",
    "DynamoConfigTable",
    "GuildConfig",
    "KalturaRole",
    "KeySpec",
    "LoadedConfig",
    "MeetingType",
    "NotificationKind",
    "RenderedMessage",
    "TemplateError",
    "TemplateKind",
    "config_service",
    "deep_merge",
    "effective_config",
    "get_config",
    "get_defaults",
    "load_defaults",
    "parse_value",
    "render_for",
    "render_template",
    "resolve_key",
    "set_config_service",
    "settable_keys",
    "spec_for",
    "suggest_keys",
    "suggest_values",
    "validate_template",
]
