"""Durations the way people say them: ``2 min 5 s``, ``3 h 10 min``, ``2 d 4 h``."""
from __future__ import annotations

from typing import Optional

_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def human_duration(milliseconds: Optional[int]) -> str:
    """The two largest units; under a second is ``<1 s``."""
    if milliseconds is None or milliseconds < 0:
        return ""
    seconds = int(milliseconds // 1000)
    if seconds < 1:
        return "<1 s"
    parts = []
    for name, size in _UNITS:
        amount, seconds = divmod(seconds, size)
        if amount or parts:
            parts.append((amount, name))
        if len(parts) == 2:
            break
    return " ".join(f"{amount} {name}" for amount, name in parts if amount)
