"""Long lists cut to a sensible length, saying how many were left out."""
from __future__ import annotations

from typing import Optional, Sequence

from ..config import Field
from ..formatting import bullet_list


def cap_field(name: str, default: int, noun: str) -> Field:
    """The setting for how many ``noun``s a notice lists before "and N more"."""
    def positive(value: int) -> Optional[str]:
        return None if value > 0 else "must be at least 1"

    return Field(name, int, default=default, check=positive,
                 help=f'{noun}s listed per notice; the rest are counted as "and N more {noun}s"')


def capped(items: Sequence[str], total: int, noun: str) -> str:
    """A bullet list of ``items`` (already formatted) and, if ``total`` is larger, "and N more <noun>s"."""
    text = bullet_list(items)
    hidden = total - len(items)
    if hidden > 0:
        text += f"\n\n… and {hidden} more {noun}{'' if hidden == 1 else 's'}."
    return text
