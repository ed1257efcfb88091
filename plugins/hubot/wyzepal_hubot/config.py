"""Where the bridge's settings come from, as a Hubot user expects.

Hubot adapters are configured with ``HUBOT_<ADAPTER>_*`` environment variables,
so ``HUBOT_WYZEPAL_SITE``, ``_USER`` and ``_API_KEY`` alone are enough. A
``wyzepal_hubot_config.py`` adds the rest: ``--config``, ``$HUBOT_WYZEPAL_CONFIG``
or ``$WYZEPAL_HUBOT_CONFIG`` name it, or it sits in the bot's folder (the folder
Hubot runs in). Environment variables beat the file: ``HUBOT_WYZEPAL_*`` first,
then the library's ``WYZEPAL_SITE``/``_USER``/``_API_KEY``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Optional

from wyzepal_notifier.config import COMMON_FIELDS, ENV_OVERRIDES, config_filename, load_pyfile, locate_config
from wyzepal_notifier.errors import ConfigError, ConfigNotFound

from .integration import HubotIntegration

CONFIG_ENV = "HUBOT_WYZEPAL_CONFIG"
ENVIRONMENT = "the environment (HUBOT_WYZEPAL_*)"

#: Hubot-style environment variable -> setting.
_FIELDS = {field.name: field for field in [*COMMON_FIELDS, *HubotIntegration.settings_fields]}
HUBOT_ENV = {
    "HUBOT_WYZEPAL_SITE": "WYZEPAL_SITE",
    "HUBOT_WYZEPAL_USER": "WYZEPAL_USER",
    "HUBOT_WYZEPAL_API_KEY": "WYZEPAL_API_KEY",
    "HUBOT_WYZEPAL_STREAM": "STREAM_FOR_NOTIFICATIONS",
    "HUBOT_WYZEPAL_TOPIC": "TOPIC",
    "HUBOT_WYZEPAL_ALL_PUBLIC_STREAMS": "ALL_PUBLIC_STREAMS",
    "HUBOT_WYZEPAL_ALLOW_WILDCARD_MENTIONS": "ALLOW_WILDCARD_MENTIONS",
    "HUBOT_WYZEPAL_IGNORE_BOTS": "IGNORE_BOTS",
    "HUBOT_WYZEPAL_INSECURE": "WYZEPAL_INSECURE",
    "HUBOT_WYZEPAL_CERT_BUNDLE": "WYZEPAL_CERT_BUNDLE",
}
_CREDENTIALS = ("WYZEPAL_SITE", "WYZEPAL_USER", "WYZEPAL_API_KEY")


def load_integration(explicit: Optional[str] = None, *, env: Optional[Mapping[str, str]] = None,
                     folder: Optional[str] = None) -> HubotIntegration:
    """The bridge's validated settings; one ConfigError saying where, what and how to fix it."""
    env = os.environ if env is None else env
    from_env = environment_values(env)
    library_env = {k: v for k, v in env.items() if not (k in ENV_OVERRIDES and k in from_env)}
    path = _config_path(explicit or None, env, folder or os.getcwd(), from_env)
    values: dict[str, Any] = load_pyfile(path) if path else {}
    values.update(from_env)
    try:
        return HubotIntegration.from_values(values, str(path) if path else ENVIRONMENT, env=library_env)
    except ConfigError as exc:
        if path is None and exc.key:
            hubot_name = next((k for k, v in HUBOT_ENV.items() if v == exc.key), exc.key)
            raise ConfigError(exc.problem, path=ENVIRONMENT, key=hubot_name, expected=exc.expected,
                              fix=f"set {hubot_name}, or put the settings in {config_filename('hubot')}") from None
        raise


def environment_values(env: Mapping[str, str]) -> dict[str, Any]:
    """Settings given as HUBOT_WYZEPAL_* variables, typed (True/False for switches)."""
    values: dict[str, Any] = {}
    for variable, setting in HUBOT_ENV.items():
        raw = env.get(variable, "").strip()
        if not raw:
            continue
        field = _FIELDS.get(setting)
        values[setting] = field.from_text(raw, ENVIRONMENT, variable) if field and field.type is bool else raw
    return values


def _config_path(explicit: Optional[str], env: Mapping[str, str], folder: str,
                 from_env: Mapping[str, Any]) -> Optional[Path]:
    try:
        return locate_config("hubot", explicit=explicit, beside=folder, env=env, env_vars=[CONFIG_ENV])
    except ConfigNotFound as exc:
        given = set(from_env) | {k for k in ENV_OVERRIDES if env.get(k)}
        if all(name in given for name in _CREDENTIALS):
            return None
        places = "\n".join(f"  - {place}" for place in exc.searched)
        raise ConfigError(f"no {config_filename('hubot')} found (looked in:\n{places}\n) and the environment "
                          "does not hold all of HUBOT_WYZEPAL_SITE, HUBOT_WYZEPAL_USER and HUBOT_WYZEPAL_API_KEY",
                          path=config_filename("hubot"),
                          fix="set those three variables, or write the config into the bot's folder with: "
                              "wyzepal-integrations template hubot -o . (then edit it)") from None
