"""Configuration: plugin config files, wyzepalrc files, typed settings."""
from .credentials import Credentials
from .locate import config_env_var, config_filename, locate_config
from .pyfile import InsecureConfigWarning, load_pyfile
from .resolve import resolve_credentials
from .schema import Field, Schema, UnknownSettingWarning
from .settings import COMMON_FIELDS, ENV_OVERRIDES, Settings, load_settings, settings_from_values
from .wyzepalrc import load_wyzepalrc

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
