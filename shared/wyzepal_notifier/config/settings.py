"""A plugin's validated settings: the config file, the environment, the schema's defaults."""
from __future__ import annotations

import os
import re
import warnings
from typing import Any, Iterator, Mapping, Optional

from ..errors import ConfigError, describe_exception, remember_secrets
from .credentials import Credentials
from .locate import PathLike, locate_config
from .pyfile import load_pyfile
from .schema import Field, Schema

#: Environment variables that override the file, so CI secrets need not sit in files.
ENV_OVERRIDES = ("WYZEPAL_SITE", "WYZEPAL_USER", "WYZEPAL_API_KEY")


_SITE = re.compile(r"^(?P<scheme>https?://)?(?P<host>[\w.-]+|\[[0-9a-fA-F:]+\])(:\d+)?(/.*)?$", re.IGNORECASE)


class AssumedSchemeWarning(UserWarning):
    """WYZEPAL_SITE has no http:// or https://; https is assumed (``check`` reports it as an error)."""


def _check_site(value: str) -> Optional[str]:
    match = _SITE.match(value.strip())
    if not match:
        return "is not a server address"
    host = match.group("host")
    if not match.group("scheme") and "." not in host and host.lower() != "localhost" and not host.startswith("["):
        return "is not a server address"  # a bare word: more likely a key or a name pasted in the wrong place
    return None


def warn_if_no_scheme(site: str, path: str) -> None:
    """Say what a site without scheme is taken for, before a TLS error at the first message says it worse."""
    site = site.strip()
    if re.match(r"^https?://", site, re.IGNORECASE):
        return
    warnings.warn(f"{path}: WYZEPAL_SITE {site!r} has no scheme, so https://{site} is assumed; write it in full: "
                  f"WYZEPAL_SITE = 'https://{site}' for a server with TLS, or 'http://{site}' for one without "
                  "(such as the dev server)", AssumedSchemeWarning, stacklevel=3)


def _check_email(value: str) -> Optional[str]:
    return None if re.match(r"^[^@\s]+@[^@\s]+$", value.strip()) else "is not an email address"


def _check_key(value: str) -> Optional[str]:
    return None if value.strip() and not any(ch.isspace() for ch in value.strip()) else "is empty or has spaces"


def _check_configurations(value: list) -> Optional[str]:
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            return f"entry {index} is a {type(item).__name__}, not a dict"
    return None


def _check_outbox_url(value: str) -> Optional[str]:
    if value.split("://", 1)[0].lower() not in ("redis", "rediss", "unix"):
        return "is not a redis://, rediss:// or unix:// URL"
    return None


COMMON_FIELDS = [
    Field("WYZEPAL_SITE", str, required=True, check=_check_site,
          expects="an address like https://chat.example.com",
          help="the server's address, e.g. https://chat.example.com"),
    Field("WYZEPAL_USER", str, required=True, check=_check_email,
          expects="an email address like notify-bot@chat.example.com", help="the bot's email address"),
    Field("WYZEPAL_API_KEY", str, required=True, secret=True, check=_check_key,
          expects="the key shown in the bot's settings, without spaces",
          help="the bot's API key, from the bot's settings on the server"),
    Field("STREAM_FOR_NOTIFICATIONS", str, required=True, help="the channel notifications go to"),
    Field("TOPIC", str, help="the topic; each plugin has its own default"),
    Field("WYZEPAL_INSECURE", bool, default=False, help="True skips TLS verification (never in production)"),
    Field("WYZEPAL_CERT_BUNDLE", str, help="path to a CA bundle for a private certificate authority"),
    Field("OUTBOX_PATH", str, help="where undelivered messages wait (a SQLite file)"),
    Field("OUTBOX_URL", str, secret=True, check=_check_outbox_url,
          expects="a Redis URL like redis://host:6379/0 or rediss://:password@host:6380/0",
          help="the site's shared outbox (Redis); also $WYZEPAL_OUTBOX_URL; unset: the local spool"),
    Field("OUTBOX_REQUIRE_SHARED", bool, default=False,
          help="True: wait for the shared outbox (OUTBOX_SHARED_WAIT) instead of parking in the local spool"),
    Field("OUTBOX_SHARED_WAIT", float, default=60.0, expects="seconds",
          help="with OUTBOX_REQUIRE_SHARED, how long a message waits for Redis before it parks locally"),
    Field("ALERTS_TO", str, expects="a channel, 'channel > topic' or an email address",
          help="who hears of dead messages and old backlogs (off when unset)"),
    Field("ALERT_BACKLOG_AFTER", float, default=900.0, expects="seconds",
          help="a backlog whose oldest message waits longer than this is an alert"),
    Field("CONFIGURATIONS", list, default=None, check=_check_configurations,
          help="a list of dicts: description, enabled, conditions, settings"),
]


class Settings(Mapping[str, Any]):
    """Validated values of one config file; knows where they came from."""

    def __init__(self, values: Mapping[str, Any], path: str, schema: Schema) -> None:
        self._values = dict(values)
        self.path = path
        self.schema = schema

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        shown = {k: ("***" if k in self.schema and self.schema[k].secret else v) for k, v in self._values.items()}
        return f"Settings({self.path!r}, {shown!r})"

    @property
    def credentials(self) -> Credentials:
        return Credentials.from_settings(self, self.path)


def load_settings(
    tool: str,
    fields: list[Field] = (),
    *,
    explicit: Optional[PathLike] = None,
    beside: Optional[PathLike] = None,
    defaults: Mapping[str, Any] = (),
    env: Optional[Mapping[str, str]] = None,
) -> Settings:
    """Find, load and validate ``wyzepal_<tool>_config.py``; raise one clear ConfigError."""
    env = os.environ if env is None else env
    path = locate_config(tool, explicit=explicit, beside=beside, env=env)
    return settings_from_values(load_pyfile(path), str(path), fields, defaults=defaults, env=env)


def settings_from_values(
    values: Mapping[str, Any],
    path: str,
    fields: list[Field] = (),
    *,
    defaults: Mapping[str, Any] = (),
    env: Optional[Mapping[str, str]] = None,
) -> Settings:
    """Validate values that came from a file (or a host's own settings, like trac.ini)."""
    env = os.environ if env is None else env
    values = dict(values)
    for name in ENV_OVERRIDES:
        if env.get(name):
            values[name] = env[name]
    schema = Schema(list(COMMON_FIELDS)).extended(fields)
    remember_secrets(values[f.name] for f in schema if f.secret and f.name in values)
    try:
        checked = schema.validate(values, path, defaults=defaults)
    except ConfigError:
        raise
    except BaseException as exc:  # noqa: B036 - a hostile value (its __class__ raising Ctrl-C) stays a config error
        raise ConfigError(f"could not be checked: {describe_exception(exc)}", path=path,
                          fix="set plain values (text, numbers, True/False, lists, dicts, functions)") from None
    if checked.get("WYZEPAL_SITE"):
        warn_if_no_scheme(checked["WYZEPAL_SITE"], path)
    return Settings(checked, path, schema)



__all__ = ["COMMON_FIELDS", "ConfigError", "Settings", "load_settings", "settings_from_values"]
