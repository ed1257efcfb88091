"""Settings that are text templates (``"https://git.example.com/commit/{sha}"``).

A template is checked when the config loads, so a misspelt placeholder is a
clear config error naming the setting, never a notification lost at push time.
"""
from __future__ import annotations

import string
from typing import Any, Mapping, Optional, Sequence

from ..config import Field


def placeholders(template: str) -> list[str]:
    """The ``{names}`` a template uses, or raises ValueError for a malformed one."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def template_field(name: str, placeholders_allowed: Sequence[str], *, default: Optional[str] = None,
                   example: str = "", help: str = "") -> Field:
    """A ``str`` setting whose ``{placeholders}`` must be among ``placeholders_allowed``."""
    allowed = ", ".join("{" + p + "}" for p in placeholders_allowed)

    def check(value: str) -> Optional[str]:
        try:
            used = placeholders(value)
        except ValueError as exc:
            return f"is not a valid template ({exc}); write a literal brace as {{{{ or }}}}"
        unknown = [p for p in used if p not in placeholders_allowed]
        if unknown:
            return f"uses the unknown placeholder {{{unknown[0]}}}"
        return None

    return Field(name, str, default=default, check=check, help=help,
                 expects=f"text with any of {allowed}" + (f", e.g. {example!r}" if example else ""))


def fill(template: str, values: Mapping[str, Any]) -> str:
    """The template with its placeholders replaced (checked at load time, so this cannot fail)."""
    return template.format_map({key: "" if value is None else value for key, value in values.items()})
