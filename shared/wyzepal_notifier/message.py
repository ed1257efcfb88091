"""A message on its way to WyzePal: what plugins build and the outbox stores."""
from __future__ import annotations

import json
from typing import Any, Iterable, NamedTuple, Optional

from .errors import MessageRejected
from .formatting.blocks import truncate_markdown
from .formatting.text import clean_content, clean_name

#: Server limits (``max_topic_length`` / ``max_message_length`` in server_settings).
MAX_TOPIC_LENGTH = 60
MAX_CONTENT_LENGTH = 10000
TRUNCATION_MARKER = "…"
CONTENT_TRUNCATION_NOTE = "\n\n[… message shortened to fit the server's limit]"


class Message(NamedTuple):
    """A channel message (``stream`` + ``topic``) or a direct message (``to``).

    A ``NamedTuple``, not a dataclass: every hook run builds messages, and importing
    ``dataclasses`` would cost each run about 20 ms (see ``config.credentials``).
    """

    content: str
    stream: Optional[str] = None
    topic: Optional[str] = None
    to: tuple[str, ...] = ()

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
        """Refuse what the server would refuse; clean and shorten what it would refuse or cut badly.

        Control characters (a NUL makes a request fail for good, ``\x1b`` in a
        topic is refused) are replaced everywhere; topics also lose bidi and
        zero-width characters. So no host text can leave a row the outbox can
        never deliver. ``checked()`` of a checked message changes nothing.
        """
        if not self.content or not self.content.strip():
            raise MessageRejected("message content is empty; nothing to send")
        if not self.stream and not self.to:
            raise MessageRejected("message has neither a channel nor direct recipients")
        if self.stream and not (self.topic or "").strip():
            raise MessageRejected(f"message to channel {self.stream!r} has no topic")
        topic = shorten_topic(self.topic) if self.topic else self.topic
        if self.stream and not topic:
            raise MessageRejected(f"message to channel {self.stream!r} has a topic of invisible characters only"
                                  f" ({self.topic!r}); give it a visible topic")
        return self._replace(
            stream=clean_content(self.stream) if self.stream else self.stream,
            topic=topic,
            content=shorten_content(clean_content(self.content)),
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
    """Clean a topic (see ``clean_name``) and cut it to the server's limit with a visible marker."""
    topic = " ".join(clean_name(topic).split())
    if len(topic) <= limit:
        return topic
    return topic[: limit - len(TRUNCATION_MARKER)].rstrip() + TRUNCATION_MARKER


def shorten_content(content: str, limit: int = MAX_CONTENT_LENGTH) -> str:
    """Cut content to the server's limit with a note, closing what the cut leaves open.

    A cut inside a code span or block (a long path list, a test name) would
    otherwise let everything before it that the span protected render as
    markdown, ``@**all**`` included; every block and span it cuts is closed.
    """
    if len(content) <= limit:
        return content
    return truncate_markdown(content, limit - len(CONTENT_TRUNCATION_NOTE), marker="") + CONTENT_TRUNCATION_NOTE
