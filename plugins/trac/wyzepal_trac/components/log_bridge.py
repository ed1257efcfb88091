"""The library's warnings and errors (formatting, delivery) also go to Trac's log."""
from __future__ import annotations

import logging
import threading

LIBRARY_LOGGER = "wyzepal_notifier"
_bridged: set[str] = set()
_lock = threading.Lock()


class _ForwardTo(logging.Handler):
    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger(self.target).handle(record)


def bridge_library_log(trac_log: logging.Logger) -> None:
    """Once per Trac logger (Trac names it after the environment, so a reload reuses it)."""
    with _lock:
        if trac_log.name in _bridged:
            return
        logging.getLogger(LIBRARY_LOGGER).addHandler(_ForwardTo(trac_log.name))
        _bridged.add(trac_log.name)
