"""A listener's failure is logged to Trac's log and goes no further."""
from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

Method = TypeVar("Method", bound=Callable[..., Any])


def guarded(method: Method) -> Method:
    """Trac calls ticket listeners unguarded: an exception would turn the save into a 500."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception:
            self.log.exception("WyzePal: %s failed; the change is saved, no notification was queued",
                               method.__name__)
            return None

    return wrapper  # type: ignore[return-value]
