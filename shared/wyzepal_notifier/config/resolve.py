"""Credentials for command-line use: a config file, a wyzepalrc, or the environment."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Optional

from .credentials import Credentials
from .pyfile import load_pyfile
from .schema import Schema
from .settings import COMMON_FIELDS, ENV_OVERRIDES
from .wyzepalrc import load_wyzepalrc

_CREDENTIAL_FIELDS = [f for f in COMMON_FIELDS if f.name in ENV_OVERRIDES + ("WYZEPAL_INSECURE", "WYZEPAL_CERT_BUNDLE")]


def resolve_credentials(config: Optional[str] = None, env: Optional[Mapping[str, str]] = None) -> Credentials:
    """``config`` (a plugin's ``.py`` file or a wyzepalrc), else the environment, else a wyzepalrc.

    The environment variables WYZEPAL_SITE, WYZEPAL_USER and WYZEPAL_API_KEY
    override what a file says, as they do for plugins.
    """
    env = os.environ if env is None else env
    if config and config.endswith(".py"):
        return _from_values(load_pyfile(Path(config)), config, env)
    if config is None and all(env.get(name) for name in ENV_OVERRIDES):
        return _from_values({}, "the environment", env)
    rc = load_wyzepalrc(config, env)
    overrides = {name: env[name] for name in ENV_OVERRIDES if env.get(name)}
    if not overrides:
        return rc
    return Credentials(
        site=overrides.get("WYZEPAL_SITE", rc.site),
        email=overrides.get("WYZEPAL_USER", rc.email),
        api_key=overrides.get("WYZEPAL_API_KEY", rc.api_key),
        insecure=rc.insecure,
        cert_bundle=rc.cert_bundle,
        source=rc.source,
    )


def _from_values(values: Mapping[str, object], source: str, env: Mapping[str, str]) -> Credentials:
    """Only the credentials of a plugin's config: its other keys are the plugin's business."""
    merged = dict(values)
    merged.update({name: env[name] for name in ENV_OVERRIDES if env.get(name)})
    checked = Schema(_CREDENTIAL_FIELDS).validate(merged, source, warn_unknown=False)
    return Credentials.from_settings(checked, source)
