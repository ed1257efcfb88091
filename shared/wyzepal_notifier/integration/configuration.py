"""One configuration of an integration: where and when its messages go.

As in Djblets, the configuration is separate from the integration: its settings
override the file's, and anything it leaves out falls back to them.
"""
from __future__ import annotations

from collections import ChainMap
from typing import Any, Mapping, Optional

from ..config.schema import Schema, shown
from ..errors import ConfigError
from .conditions import matches

#: Friendly lower-case names allowed inside a configuration's ``settings``.
SETTING_ALIASES = {"stream": "STREAM_FOR_NOTIFICATIONS", "channel": "STREAM_FOR_NOTIFICATIONS", "topic": "TOPIC"}
_ENTRY_KEYS = {"description", "enabled", "conditions", "settings"}


class Configuration(Mapping[str, Any]):
    """A mapping of settings (own first, then the file's) with conditions on events."""

    def __init__(self, description: str, settings: Mapping[str, Any], defaults: Mapping[str, Any],
                 conditions: Optional[Mapping[str, Any]] = None, enabled: bool = True) -> None:
        self.description = description
        self.enabled = enabled
        self.conditions = dict(conditions or {})
        self.own_settings = dict(settings)
        self._settings = ChainMap(self.own_settings, dict(defaults))

    def __getitem__(self, key: str) -> Any:
        return self._settings[key]

    def __iter__(self):
        return iter(self._settings)

    def __len__(self) -> int:
        return len(self._settings)

    def __repr__(self) -> str:
        return f"Configuration({self.description!r}, conditions={self.conditions!r})"

    @property
    def stream(self) -> str:
        return self["STREAM_FOR_NOTIFICATIONS"]

    @property
    def topic(self) -> Optional[str]:
        return self.get("TOPIC")

    def matches(self, event: Mapping[str, Any]) -> bool:
        return self.enabled and matches(self.conditions, event)

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any], index: int, defaults: Mapping[str, Any],
                   schema: Schema, path: str) -> Configuration:
        """Build from one dict of ``CONFIGURATIONS``, validating its settings by the schema."""
        key = f"CONFIGURATIONS[{index}]"
        unknown = set(entry) - _ENTRY_KEYS - set(SETTING_ALIASES) - set(schema._by_name)
        if unknown:
            raise ConfigError(f"has unknown keys {sorted(k if isinstance(k, str) else shown(k) for k in unknown)}",
                              path=path, key=key,
                              expected="description, enabled, conditions, settings",
                              fix="put settings under 'settings' and event filters under 'conditions'")
        conditions = entry.get("conditions") or {}
        if not isinstance(conditions, Mapping):
            raise ConfigError("conditions is not a dict", path=path, key=key, expected="a dict of event key to value",
                              fix='e.g. "conditions": {"component": "security"}')
        own = entry.get("settings") or {}
        if not isinstance(own, Mapping):
            raise ConfigError(f"settings is a {type(own).__name__}, not a dict", path=path, key=key,
                              expected="a dict of setting to value",
                              fix='e.g. "settings": {"stream": "security", "topic": "tickets"}')
        raw = {k: v for k, v in entry.items() if k not in _ENTRY_KEYS}
        raw.update(own)
        settings = {}
        for name, value in raw.items():
            name = SETTING_ALIASES.get(name, name) if isinstance(name, str) else name
            if not isinstance(name, str) or name not in schema:
                raise ConfigError(f"sets unknown setting {name if isinstance(name, str) else shown(name)}",
                                  path=path, key=key,
                                  fix=f"use one of {', '.join(f.name for f in schema)}")
            settings[name] = schema[name].checked(value, f"{path} {key}")
        return cls(str(entry.get("description") or f"configuration {index + 1}"), settings, defaults,
                   conditions, bool(entry.get("enabled", True)))
