"""Pieces every renderer uses: who acted, field values, quoted Trac text."""
from __future__ import annotations

from typing import Any, Mapping

from wyzepal_notifier.formatting import bold, plain, quote, truncate

from ..links import TracLinks
from ..wikimarkup import to_markdown

#: Trac text (descriptions, comments, commit messages) longer than this is cut before quoting.
MAX_QUOTED = 2000
MAX_VALUE = 80


def actor(event: Mapping[str, Any], fallback: str = "Someone") -> str:
    """**Full Name** of who acted (their Trac user name if they set no name)."""
    return bold(event.get("author_name") or event.get("author") or fallback)


def value(text: str) -> str:
    """A field value on one line, shortened, or *(empty)*."""
    text = " ".join((text or "").split())
    return plain(truncate(text, MAX_VALUE)) if text else "*(empty)*"


def quoted(trac_text: str, links: TracLinks) -> str:
    """Trac wiki text as a quote block of markdown; empty when there is no text."""
    trac_text = (trac_text or "").strip()
    if not trac_text:
        return ""
    return quote(to_markdown(truncate(trac_text, MAX_QUOTED), links))


def paragraphs(*parts: str) -> str:
    return "\n\n".join(part for part in parts if part)
