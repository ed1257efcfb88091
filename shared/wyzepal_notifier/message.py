"""A message on its way to WyzePal: what plugins build and the outbox stores."""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Optional

from .errors import MessageRejected

#: Server limits (``max_topic_length`` / ``max_message_length`` in server_settings).
MAX_TOPIC_LENGTH = 60
MAX_CONTENT_LENGTH = 10000
TRUNCATION_MARKER = "…"
CONTENT_TRUNCATION_NOTE = "\n\n[… message shortened to fit the server's limit]"


@dataclass(frozen=True)
class Message:
    """A channel message (``stream`` + ``topic``) or a direct message (``to``)."""

    content: str
    stream: Optional[str] = None
    topic: Optional[str] = None
    to: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def to_stream(cls, stream: str, topic: str, content: str) -> Message:
        return cls(content=content, stream=stream, topic=topic)

    @classmethod
    def direct(cls, to: Iterable[str] | str, content: str) -> Message:
        recipients = (to,) if isinstance(to, str) else tuple(to)
        return cls(content=content, to=recipients)

    @property
    def is_direct(self) -> bool:
        return not self.stream

    @property
    def key(self) -> str:
        """Ordering key: messages with the same key are delivered in order."""
        if self.is_direct:
            return "dm:" + ",".join(sorted(self.to))
        return f"stream:{self.stream}\x00{self.topic or ''}"

    def checked(self) -> Message:
        """Refuse what the server would refuse; shorten what it would cut badly."""
        if not self.content or not self.content.strip():
            raise MessageRejected("message content is empty; nothing to send")
        if not self.stream and not self.to:
            raise MessageRejected("message has neither a channel nor direct recipients")
        if self.stream and not (self.topic or "").strip():
            raise MessageRejected(f"message to channel {self.stream!r} has no topic")
        return replace(
            self,
            topic=shorten_topic(self.topic) if self.topic else self.topic,
            content=shorten_content(self.content),
        )

    def to_params(self) -> dict[str, str]:
        """The form fields of ``POST /messages``."""
        msg = self.checked()
        if msg.is_direct:
            return {"type": "direct", "to": json.dumps(list(msg.to)), "content": msg.content}
        return {"type": "stream", "to": msg.stream or "", "topic": msg.topic or "", "content": msg.content}

    def to_json(self) -> str:
        return json.dumps({"content": self.content, "stream": self.stream, "topic": self.topic, "to": list(self.to)})

    @classmethod
    def from_json(cls, text: str) -> Message:
        data: dict[str, Any] = json.loads(text)
        return cls(content=data["content"], stream=data.get("stream"), topic=data.get("topic"),
                   to=tuple(data.get("to") or ()))


def shorten_topic(topic: str, limit: int = MAX_TOPIC_LENGTH) -> str:
    """Cut a topic to the server's limit with a visible marker."""
    topic = " ".join(topic.split())
    if len(topic) <= limit:
        return topic
    return topic[: limit - len(TRUNCATION_MARKER)].rstrip() + TRUNCATION_MARKER


def shorten_content(content: str, limit: int = MAX_CONTENT_LENGTH) -> str:
    """Cut content to the server's limit, closing an open code fence, with a note."""
    if len(content) <= limit:
        return content
    room = limit - len(CONTENT_TRUNCATION_NOTE) - 8
    head = content[:room]
    fences = [line for line in head.splitlines() if line.lstrip().startswith(("```", "~~~"))]
    if len(fences) % 2:
        fence = fences[-1].lstrip()
        head += "\n" + fence[: len(fence) - len(fence.lstrip("`~"))]
    return head + CONTENT_TRUNCATION_NOTE
