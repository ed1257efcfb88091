"""Configuration: plugin config files, wyzepalrc files, typed settings."""
from typing import TYPE_CHECKING, Any

from .credentials import Credentials
from .locate import config_env_var, config_filename, locate_config
from .pyfile import InsecureConfigWarning, load_pyfile
from .schema import Field, Schema, UnknownSettingWarning
from .settings import COMMON_FIELDS, ENV_OVERRIDES, Settings, load_settings, settings_from_values

if TYPE_CHECKING:  # pragma: no cover
    from .resolve import resolve_credentials
    from .wyzepalrc import load_wyzepalrc


def __getattr__(name: str) -> Any:
    """wyzepalrc files (configparser) are the command line's: a hook loading its .py config never reads one."""
    if name == "resolve_credentials":
        from .resolve import resolve_credentials as value
    elif name == "load_wyzepalrc":
        from .wyzepalrc import load_wyzepalrc as value
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = [
    "COMMON_FIELDS",
    "ENV_OVERRIDES",
    "Credentials",
    "Field",
    "InsecureConfigWarning",
    "Schema",
    "Settings",
    "UnknownSettingWarning",
    "config_env_var",
    "config_filename",
    "load_pyfile",
    "load_settings",
    "load_wyzepalrc",
    "locate_config",
    "resolve_credentials",
    "settings_from_values",
]
