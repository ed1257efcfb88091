"""A function in the config that picks each notice's channel and topic.

Users of the classic git and Subversion hooks write
``commit_notice_destination(...)`` returning ``dict(stream=..., subject=...)``,
or ``None`` to send nothing. Here it is the ``COMMIT_NOTICE_DESTINATION``
setting; ``topic`` and the older ``subject`` are both accepted. A function that
raises or answers nonsense is reported and the configuration's own channel and
topic are used, so a bug in it never loses a notice.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Mapping, Optional

from ..config import Field
from ..errors import describe_exception
from ..message import Message

SETTING = "COMMIT_NOTICE_DESTINATION"


def destination_field(signature: str) -> Field:
    """The ``COMMIT_NOTICE_DESTINATION`` setting for a hook whose function takes ``signature``."""
    return Field(SETTING, object, default=None,
                 check=lambda value: None if callable(value) else "is not a function",
                 expects=f"a function {signature} returning dict(stream=..., topic=...) or None",
                 help="None from the function means: send nothing for this notice")


def routed(message: Message, conf: Mapping[str, Any], call: Callable[[Callable[..., Any]], Any],
           *, source: str, log: logging.Logger) -> Optional[Message]:
    """``message`` sent where the configuration's destination function says (``call`` invokes it)."""
    function = conf.get(SETTING)
    if function is None:
        return message
    fallback = f"sending to {message.stream} > {message.topic} instead"
    try:
        answer = call(function)
    except (Exception, SystemExit, KeyboardInterrupt) as exc:  # the config's code must not stop the hook
        log.error("%s: %s raised %s; %s", source, SETTING, describe_exception(exc), fallback)
        return message
    if answer is None:
        return None
    if not isinstance(answer, Mapping) or not str(answer.get("stream") or "").strip():
        log.error("%s: %s returned %r, expected dict(stream=..., topic=...) or None; %s",
                  source, SETTING, answer, fallback)
        return message
    topic = answer.get("topic") or answer.get("subject") or message.topic
    return message._replace(stream=str(answer["stream"]), topic=str(topic))
