"""One message per channel and topic for a push of many refs (``--tags``, ``--mirror``, a release).

The hook renders one entry per ref and configuration; this outbox holds them
until the hook closes it, then joins the entries bound for the same channel and
topic into one message (30 new tags in ``tags`` are one notice; branches with a
topic each stay one message each). Past ``limit`` characters the digest is split
into numbered parts, always between two entries, never inside one.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from wyzepal_notifier import Message
from wyzepal_notifier.formatting import italic

SEPARATOR = "\n\n"
log = logging.getLogger("wyzepal_notifier.git")


def digest_parts(entries: list[str], limit: int) -> list[str]:
    """``entries`` joined into as few texts of at most ``limit`` characters as fit, each labelled when several."""
    reserve = len(italic("(part 999 of 999)")) + len(SEPARATOR)
    budget = limit - reserve
    parts: list[list[str]] = [[]]
    size = 0
    for entry in entries:
        added = len(entry) + (len(SEPARATOR) if parts[-1] else 0)
        if parts[-1] and size + added > budget:
            parts.append([])
            size, added = 0, len(entry)
        parts[-1].append(entry)
        size += added
    if len(parts) == 1:
        return [SEPARATOR.join(parts[0])]
    return [italic(f"(part {n} of {len(parts)})") + SEPARATOR + SEPARATOR.join(part)
            for n, part in enumerate(parts, start=1)]


class DigestOutbox:
    """Wraps the hook's outbox: ``put`` collects, ``close`` sends the digests, then closes the real one."""

    def __init__(self, outbox: Any, limit: int) -> None:
        self.outbox = outbox
        self.limit = limit
        self._groups: dict[str, list[Message]] = {}

    def put(self, message: Message, **options: Any) -> None:
        """Collect; a message with a handle or conversation is its own, so it goes straight through."""
        if options:
            self.outbox.put(message, **options)
            return
        message.checked()  # what the server would refuse is refused now, as by the real outbox
        self._groups.setdefault(message.key, []).append(message)

    def flush_digests(self) -> None:
        groups, self._groups = self._groups, {}
        for messages in groups.values():
            first = messages[0]
            for content in digest_parts([m.content for m in messages], self.limit):
                try:
                    self.outbox.put(Message(content=content, stream=first.stream, topic=first.topic, to=first.to))
                except Exception as exc:  # one refused part must not cost the others
                    log.error("a notice to %s > %s was not queued: %s", first.stream, first.topic, exc)

    def close(self, timeout: Optional[float] = None) -> None:
        try:
            self.flush_digests()
        finally:
            self.outbox.close(timeout)

    def __getattr__(self, name: str) -> Any:  # status, path, ...: the real outbox's
        return getattr(self.outbox, name)
