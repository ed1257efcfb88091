"""Real-time events: hear what happens in chat, without losing or repeating anything.

::

    from wyzepal_notifier.events import EventStream, call_on_each_message, stop_on_signals

    call_on_each_message(client, handle, stop=stop)       # blocks until stop is set
    with EventStream(client, ["message"]) as stream:      # or as a loop
        for event in stream:
            ...
    Reaction.from_event(event), MessageUpdate.from_event(event)   # typed reaction / update_message

See :mod:`wyzepal_notifier.events.stream` for what is taken care of, and
:mod:`wyzepal_notifier.events.kinds` for the shapes of reactions and edits.
"""
from .callbacks import call_on_each_event, call_on_each_message
from .interruptible import Stopped
from .kinds import MessageUpdate, Reaction
from .signals import stop_on_signals
from .stream import EventStream

__all__ = ["EventStream", "MessageUpdate", "Reaction", "Stopped", "call_on_each_event", "call_on_each_message",
           "stop_on_signals"]
