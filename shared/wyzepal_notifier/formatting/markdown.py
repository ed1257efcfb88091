"""Markdown builders that keep untrusted text inside the element it was put in."""
from __future__ import annotations

import re
from typing import Iterable, Optional
from urllib.parse import quote as url_quote

from .mentions import WILDCARDS, neutralize_mentions

# Characters that start markdown constructs inline or at a line's start.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]~|<>$])")
_LINE_START_SPECIAL = re.compile(r"^(\s*)(?:([#>+\-=])|(\d+)([.)]))", re.MULTILINE)
_BACKTICK_RUN = re.compile(r"`+")
_TILDE_RUN = re.compile(r"~+")


def escape(text: str) -> str:
    """Escape markdown syntax so ``text`` renders literally."""
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    return _LINE_START_SPECIAL.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match) -> str:
    """``# x`` becomes ``\\# x``; ``1. x`` becomes ``1\\. x``: a backslash before a digit is no escape."""
    indent, marker, number, dot = match.groups()
    return f"{indent}\\{marker}" if marker else f"{indent}{number}\\{dot}"


def plain(text: Optional[str]) -> str:
    """Untrusted text for running prose: escaped and with mentions made inert."""
    return escape(neutralize_mentions(text or ""))


def bold(text: str) -> str:
    return f"**{plain(_one_line(text))}**"


def italic(text: str) -> str:
    return f"*{plain(_one_line(text))}*"


def link(text: str, url: str) -> str:
    """A link whose label and address cannot end the link early."""
    label = plain(_one_line(text)) or _safe_url(url)
    return f"[{label}]({_safe_url(url)})"


def inline_code(text: str) -> str:
    """Inline code: mentions and markdown inside it are not rendered."""
    text = _one_line(text)
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(text: str, language: str = "") -> str:
    """A fenced block longer than any fence inside ``text``, so it cannot close early."""
    fence = _fence_for(text)
    language = re.sub(r"[^A-Za-z0-9_+.-]", "", language)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def quote(text: str) -> str:
    """A quote block; markdown inside renders, so mentions are neutralised."""
    fence = _fence_for(text)
    return f"{fence}quote\n{neutralize_mentions(text.rstrip())}\n{fence}"


def mention(full_name: str, user_id: Optional[int] = None, *, silent: bool = False) -> str:
    """A deliberate mention of one person (never a wildcard)."""
    name = full_name.replace("*", "").replace("|", "").strip()
    if name.lower() in WILDCARDS and user_id is None:
        return plain(full_name)
    target = f"{name}|{user_id}" if user_id is not None else name
    return f"@{'_' if silent else ''}**{target}**"


def bullet_list(items: Iterable[str]) -> str:
    """Items already formatted by the other helpers, one bullet each."""
    return "\n".join(f"* {item}" for item in items)


def truncate(text: str, limit: int, marker: str = "…") -> str:
    """Shorten to ``limit`` characters with a visible marker."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(marker))].rstrip() + marker


def _one_line(text: Optional[str]) -> str:
    return " ".join((text or "").split())


def _fence_for(text: str) -> str:
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    return "`" * max(3, longest + 1)


def _safe_url(url: str) -> str:
    return url_quote(url.strip(), safe=":/?#@!$&'*+,;=%-._~")
