"""The dry-run outbox: ``--dry-run`` prints what would be sent, operations included, and sends nothing."""
from __future__ import annotations

import sys
from typing import IO, Any, Optional

from ..message import Message
from .contract import HandleOperations
from .handles import HandleInUse, HandleState
from .spool import describe_destination


class PrintingOutbox(HandleOperations):
    """Prints each message and operation; remembers handles only to say where an operation would go."""

    def __init__(self, stream: Optional[IO[str]] = None) -> None:
        self.stream = stream or sys.stdout
        self.messages: list[Message] = []
        self.operations: list[tuple[str, str, dict[str, Any]]] = []
        self._handles: dict[str, HandleState] = {}

    def put(self, message: Message, *, handle: Optional[str] = None, conversation: Optional[str] = None) -> None:
        message = message.checked()
        if handle is not None:
            if handle in self._handles:
                raise HandleInUse(f"the message handle {handle!r} already names a message")
            self._handles[handle] = HandleState(handle, None, message.stream, message.topic, message.to)
        self.messages.append(message)
        named = f" (handle {handle})" if handle else ""
        print(f"--- to {describe_destination(message)}{named}\n{message.content}\n", file=self.stream)

    def _operation(self, handle: str, kind: str, args: dict[str, Any]) -> None:
        self.operations.append((handle, kind, args))
        shown = {k: v for k, v in args.items() if k != "content"}
        print(f"--- {kind} {handle} {shown if shown else ''}".rstrip(), file=self.stream)
        if "content" in args:
            print(f"{args['content']}\n", file=self.stream)

    def handle_state(self, handle: str) -> Optional[HandleState]:
        return self._handles.get(handle)

    def flush(self, timeout: Optional[float] = None) -> bool:
        return True

    def close(self, timeout: Optional[float] = None, **_: Any) -> None:
        return None
