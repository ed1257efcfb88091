"""What the bridge tells the adapter: one JSON object per line on stdout."""
from __future__ import annotations

import json
import threading
from typing import Any, Iterable, Optional, TextIO

from .requests import Person

PROTOCOL_VERSION = 1


class LineWriter:
    """Writes protocol lines from any thread; a closed pipe makes ``closed`` true, never an exception."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.closed = False

    def write(self, kind: str, **fields: Any) -> bool:
        line = json.dumps({"type": kind, **fields}, ensure_ascii=False) + "\n"
        with self._lock:
            if self.closed:
                return False
            try:
                self._stream.write(line)
                self._stream.flush()
                return True
            except (BrokenPipeError, OSError, ValueError):
                self.closed = True
                return False

    def ready(self, bot: Person, site: str, last_message_id: Optional[int] = None) -> bool:
        """The queue exists; ``last_message_id`` (newest message then) is where a restarted bridge resumes."""
        return self.write("ready", protocol=PROTOCOL_VERSION, bot=bot.to_json(), site=site,
                          last_message_id=last_message_id)

    def users(self, people: Iterable[Person]) -> bool:
        return self.write("users", users=[person.to_json() for person in people])

    def message(self, **fields: Any) -> bool:
        return self.write("message", **fields)

    def reaction(self, **fields: Any) -> bool:
        return self.write("reaction", **fields)

    def update(self, **fields: Any) -> bool:
        return self.write("update", **fields)

    def ack(self, ref: Optional[str], ids: list[int]) -> bool:
        return self.write("ack", ref=ref, ids=ids)

    def error(self, ref: Optional[str], message: str, *, permanent: bool) -> bool:
        return self.write("error", ref=ref, message=message, permanent=permanent)
