"""Durable, non-blocking delivery: a SQLite spool and the workers that empty it.

The public contract plugins code against (:class:`DeliveryOutbox`)::

    outbox = Outbox.for_integration(integration)   # spool path: see outbox.paths
    outbox.put(message)        # returns at once; the message is safe in the spool
    outbox.put(message, handle="jenkins:app#42")   # named, for later operations on it:
    outbox.edit(handle, content, fallback="follow_up")  # also add_reaction, remove_reaction,
    outbox.move_topic(handle, topic)                    # resolve_topic, forget, handle_state
    outbox.flush(timeout)      # deliver what can be delivered within timeout; True when empty
    outbox.close(timeout)      # flush then stop the worker; the rest stays spooled
    outbox.status()            # counts by state, oldest pending, last error

Script hooks use :class:`HandOverOutbox` (append now, a detached worker delivers), hosts
that must stay light :class:`ProcessOutbox` (append now, a lingering process of their own delivers),
shell scripts :func:`enqueue_detached` (``wyzepal-integrations send --outbox``),
and people use ``wyzepal-integrations outbox flush|status|retry``.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Each name and its module, imported on first use: a hook that only appends to the spool
#: (``handover``) must not pay for the threaded outbox, the courier and the HTTP client.
_EXPORTS = {
    "Outbox": ".background", "DeliveryOutbox": ".contract", "HandleOperations": ".contract",
    "Courier": ".courier", "enqueue_detached": ".detached", "hand_over": ".detached",
    "start_worker": ".detached", "DrainReport": ".drain", "drain": ".drain", "HandleInUse": ".handles",
    "HandleState": ".handles", "Locate": ".handles", "Refusal": ".handles", "HandOverOutbox": ".handover",
    "default_outbox_path": ".paths", "PrintingOutbox": ".printing", "ProcessOutbox": ".process",
    "SharedOutbox": ".shared",
    "RedisStore": ".redis_store", "Spool": ".spool", "SpoolStatus": ".spool",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .background import Outbox
    from .contract import DeliveryOutbox, HandleOperations
    from .courier import Courier
    from .detached import enqueue_detached, hand_over, start_worker
    from .drain import DrainReport, drain
    from .handles import HandleInUse, HandleState, Locate, Refusal
    from .handover import HandOverOutbox
    from .paths import default_outbox_path
    from .printing import PrintingOutbox
    from .process import ProcessOutbox
    from .redis_store import RedisStore
    from .shared import SharedOutbox
    from .spool import Spool, SpoolStatus

__all__ = ["Courier", "DeliveryOutbox", "DrainReport", "HandOverOutbox", "HandleInUse", "HandleOperations",
           "HandleState", "Locate", "Outbox", "PrintingOutbox", "ProcessOutbox", "RedisStore", "Refusal",
           "SharedOutbox", "Spool", "SpoolStatus", "default_outbox_path", "drain", "enqueue_detached", "hand_over",
           "start_worker"]
