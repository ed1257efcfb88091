"""The registry of integration classes, filled from code or from entry points."""
from __future__ import annotations

import logging
from typing import Iterator, Optional

from ..errors import describe_exception, missing_extra
from .base import Integration

ENTRY_POINT_GROUP = "wyzepal.integrations"
log = logging.getLogger("wyzepal_notifier.integration")


class IntegrationManager:
    """Knows every integration class by its ``integration_id``."""

    def __init__(self) -> None:
        self._classes: dict[str, type[Integration]] = {}
        #: Entry points that failed to load: name -> one line saying why and what to install.
        self.failed: dict[str, str] = {}

    def register(self, cls: type[Integration]) -> type[Integration]:
        """Register a class (usable as a decorator); an id can be taken once."""
        if not cls.integration_id:
            raise ValueError(f"{cls.__name__} has no integration_id")
        existing = self._classes.get(cls.integration_id)
        if existing is not None and existing is not cls:
            raise ValueError(f"integration id {cls.integration_id!r} is taken by {existing.__name__}")
        self._classes[cls.integration_id] = cls
        return cls

    def unregister(self, integration_id: str) -> None:
        self._classes.pop(integration_id, None)

    def get(self, integration_id: str) -> type[Integration]:
        try:
            return self._classes[integration_id]
        except KeyError:
            known = ", ".join(sorted(self._classes)) or "none"
            raise KeyError(f"no integration {integration_id!r} (known: {known})") from None

    def __iter__(self) -> Iterator[type[Integration]]:
        return iter(sorted(self._classes.values(), key=lambda cls: cls.integration_id))

    def __contains__(self, integration_id: object) -> bool:
        return integration_id in self._classes

    def names(self) -> list[str]:
        """Every integration known, loaded or failed."""
        return sorted(set(self._classes) | set(self.failed))

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP, only: Optional[str] = None) -> list[str]:
        """Register what installed distributions declare; a broken plugin is logged, not fatal.

        ``only`` loads just that one (``check`` needs one plugin, not every plugin's imports).
        """
        loaded = []
        for entry_point in _entry_points(group):
            if only is not None and entry_point.name != only:
                continue
            try:
                cls = entry_point.load()
                self.register(cls)
                loaded.append(cls.integration_id)
                self.failed.pop(entry_point.name, None)
            except ImportError as exc:  # its extra is not installed: say which
                self.failed[entry_point.name] = missing_extra(f"the {entry_point.name} plugin", exc)
                log.info("%s", self.failed[entry_point.name])
            except Exception as exc:  # one broken plugin must not hide the others
                self.failed[entry_point.name] = f"the {entry_point.name} plugin could not be loaded: " \
                                                f"{describe_exception(exc)}"
                log.warning("%s", self.failed[entry_point.name])
        return loaded


def _entry_points(group: str) -> list:
    from importlib import metadata  # 30 ms at import; only the CLI and check need it

    found = metadata.entry_points()
    if hasattr(found, "select"):
        return list(found.select(group=group))
    return list(found.get(group, []))  # Python 3.9


#: The registry the CLI and plugins share.
integrations = IntegrationManager()
