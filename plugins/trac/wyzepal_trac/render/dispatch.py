"""Pick the renderer for an event's kind, unless the configuration does not want it."""
from __future__ import annotations

from typing import Any, Callable, Mapping, Optional

from wyzepal_notifier import Configuration, Message

from ..links import TracLinks
from . import attachment, changeset, milestone, ticket, wiki
from .switches import is_attachment, wanted
from .topic import topic_for

Renderer = Callable[[Configuration, Mapping[str, Any], TracLinks], str]

_RENDERERS: dict[str, Renderer] = {
    "ticket": ticket.content,
    "wiki": wiki.content,
    "changeset": changeset.content,
    "milestone": milestone.content,
}


def render(conf: Configuration, event: Mapping[str, Any]) -> Optional[Message]:
    """The message ``conf`` should get for ``event``, or None when it wants none."""
    if not wanted(conf, event):
        return None
    links = TracLinks(event.get("base_url", ""))
    content = (attachment.content if is_attachment(event) else _RENDERERS[event["kind"]])(conf, event, links)
    return Message.to_stream(conf.stream, topic_for(conf, event), content)
