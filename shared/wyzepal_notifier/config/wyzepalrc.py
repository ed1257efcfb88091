"""Bot credentials in a ``wyzepalrc`` INI file, the convention of Zulip's ``zuliprc``."""
from __future__ import annotations

import configparser  # on Python < 3.11 the "configparser" backport provides it
import os
from pathlib import Path
from typing import Mapping, Optional

from ..errors import ConfigError, ConfigNotFound
from .credentials import Credentials
from .pyfile import warn_if_readable_by_others
from .schema import Field

RC_ENV_VAR = "WYZEPAL_CONFIG"
_INSECURE = Field("insecure", bool, default=False)


def load_wyzepalrc(path: Optional[str] = None, env: Optional[Mapping[str, str]] = None) -> Credentials:
    """Read ``[api]`` email, key, site, insecure, cert_bundle from ``path`` or ``$WYZEPAL_CONFIG``."""
    env = os.environ if env is None else env
    chosen = path or env.get(RC_ENV_VAR) or _default_rc(env)
    if not chosen or not Path(chosen).is_file():
        raise not_found(path, env)
    parser = configparser.ConfigParser()
    try:
        parser.read(chosen, encoding="utf-8")
    except configparser.Error as exc:
        raise ConfigError(f"is not a valid INI file: {exc.message}", path=str(chosen),
                          fix="use the [api] section with email=, key= and site=") from None
    if not parser.has_section("api"):
        raise ConfigError("has no [api] section", path=str(chosen), fix="add [api] with email=, key= and site=")
    section = parser["api"]
    for key in ("email", "key", "site"):
        if not section.get(key, "").strip():
            raise ConfigError("is missing", path=str(chosen), key=f"[api] {key}", fix=f"add {key}=... under [api]")
    warn_if_readable_by_others(Path(chosen), holds_secret=True)
    return Credentials(
        site=section["site"].strip(),
        email=section["email"].strip(),
        api_key=section["key"].strip(),
        insecure=_INSECURE.from_text(section.get("insecure", "false"), str(chosen), "[api] insecure"),
        cert_bundle=section.get("cert_bundle") or None,
        source=str(chosen),
    )


def not_found(path: Optional[str], env: Mapping[str, str]) -> ConfigNotFound:
    """Every way credentials could have been given, and which one was tried."""
    home = env.get("HOME")
    searched = [f"{path} (given with --config: does not exist)"] if path else []
    if not path:
        searched.append(f"{env[RC_ENV_VAR]} (named by ${RC_ENV_VAR}: does not exist)" if env.get(RC_ENV_VAR)
                        else f"${RC_ENV_VAR} (not set)")
        searched.append(f"{Path(home) / '.wyzepalrc'} (no such file)" if home else "~/.wyzepalrc ($HOME not set)")
        given = [name for name in ("WYZEPAL_SITE", "WYZEPAL_USER", "WYZEPAL_API_KEY") if env.get(name)]
        searched.append("the variables WYZEPAL_SITE, WYZEPAL_USER and WYZEPAL_API_KEY (" +
                        (f"only {', '.join(given)} set" if given else "not set") + ")")
    return ConfigNotFound("wyzepalrc", searched, fix=(
        "set WYZEPAL_SITE, WYZEPAL_USER and WYZEPAL_API_KEY, or write a wyzepalrc ([api] with email=, key=, "
        "site=) to ~/.wyzepalrc or the path in $WYZEPAL_CONFIG, or name a plugin config with --config FILE"))


def _default_rc(env: Mapping[str, str]) -> Optional[str]:
    home = env.get("HOME")
    if not home:
        return None
    candidate = Path(home) / ".wyzepalrc"
    return str(candidate) if candidate.is_file() else None
