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

Script hooks use :class:`HandOverOutbox` (append now, a detached worker delivers),
shell scripts :func:`enqueue_detached` (``wyzepal-integrations send --outbox``),
and people use ``wyzepal-integrations outbox flush|status|retry``.
"""
from .background import Outbox
from .contract import DeliveryOutbox, HandleOperations
from .courier import Courier
from .detached import enqueue_detached, hand_over, start_worker
from .drain import DrainReport, drain
from .handles import HandleInUse, HandleState, Locate, Refusal
from .handover import HandOverOutbox
from .paths import default_outbox_path
from .printing import PrintingOutbox
from .spool import Spool, SpoolStatus

__all__ = ["Courier", "DeliveryOutbox", "DrainReport", "HandOverOutbox", "HandleInUse", "HandleOperations",
           "HandleState", "Locate", "Outbox", "PrintingOutbox", "Refusal", "Spool", "SpoolStatus",
           "default_outbox_path", "drain", "enqueue_detached", "hand_over", "start_worker"]
