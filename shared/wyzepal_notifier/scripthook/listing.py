"""Long lists cut to a sensible length, saying how many were left out."""
from __future__ import annotations

from typing import Sequence

from ..formatting import bullet_list


def capped(items: Sequence[str], total: int, noun: str) -> str:
    """A bullet list of ``items`` (already formatted) and, if ``total`` is larger, "and N more <noun>s"."""
    text = bullet_list(items)
    hidden = total - len(items)
    if hidden > 0:
        text += f"\n\n… and {hidden} more {noun}{'' if hidden == 1 else 's'}."
    return text
