"""Markdown builders that keep untrusted text inside the element it was put in."""
from __future__ import annotations

import re
from typing import Iterable, Optional
from urllib.parse import quote as url_quote
from urllib.parse import urlsplit

from .blocks import FENCE_RE, SPECIAL_LANGUAGES, open_blocks
from .mentions import WILDCARDS, neutralize_mentions
from .text import clean_name

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
    """A name or short value in bold (cleaned like a name: no bidi or zero-width tricks).

    Nothing at all for an empty value: ``****`` alone on a line is a horizontal rule.
    """
    text = plain(_one_line(text))
    return f"**{text}**" if text else ""


def italic(text: str) -> str:
    text = plain(_one_line(text))
    return f"*{text}*" if text else ""


def link(text: str, url: str) -> str:
    """A link whose label and address cannot end the link early or hold live syntax.

    Only ``http``/``https`` addresses (and paths from the root) become links:
    anything else (``javascript:``, ``data:``, ``file:``) leaves the label as
    text, or the address as code.
    """
    target = safe_url(url)
    if target is None:
        return plain(_one_line(text)) or inline_code(url)
    label = plain(_one_line(text)) or escape(target)
    return f"[{label}]({target})"


def safe_url(url: str) -> Optional[str]:
    """An ``http(s)`` address percent-encoded so no markdown can start inside it, else None.

    ``*``, ``(``, ``)``, ``[``, ``]``, ``<``, ``>``, backticks, ``$`` and spaces are
    encoded: ``https://ci/@**all**`` must not ping, ``)`` must not end the link.
    A path from the root (``/ticket/1``, a host tool without its base URL) is
    kept, as Zulip keeps it: it can only lead to the chat server itself.
    """
    url = clean_name(url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    root_path = not scheme and not parts.netloc and url.startswith("/") and not url.startswith("//")
    if not root_path and (scheme not in ("http", "https") or not parts.netloc):
        return None
    return url_quote(url, safe=_URL_SAFE)


def inline_code(text: str) -> str:
    """Inline code: mentions and markdown inside it are not rendered."""
    text = _one_line(text)
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(text: str, language: str = "") -> str:
    """A fenced block longer than any fence inside ``text``, so it cannot close early.

    ``quote``, ``spoiler`` and ``math`` are not code to Zulip (a ``{{{#!quote``
    block would render as markdown): they become ``text``.
    """
    fence = _fence_for(text)
    language = re.sub(r"[^A-Za-z0-9_+.-]", "", language)
    opened = FENCE_RE.match(fence + language)  # the language as Zulip reads it (".quote" is quote)
    if not opened or (opened.group("lang") or "").lower() in SPECIAL_LANGUAGES:
        language = "text"
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def quote(text: str) -> str:
    """A quote block; markdown inside renders, so mentions are neutralised.

    A fence line inside (a log's ``~~~``) opens a nested block in Zulip; any
    left open is closed before the quote's own fence, which is longer than any
    backtick run inside, so the quote always ends where it should.
    """
    inner = neutralize_mentions(text.rstrip())
    fence = _fence_for(inner)
    still_open = open_blocks(inner.split("\n"), [(fence, True)])[1:]
    closers = "".join("\n" + opened for opened, _ in reversed(still_open))
    return f"{fence}quote\n{inner}{closers}\n{fence}"


def mention(full_name: str, user_id: Optional[int] = None, *, silent: bool = False) -> str:
    """A deliberate mention of one person (never a wildcard)."""
    name = clean_name(full_name).replace("*", "").replace("|", "").replace("\n", " ").strip()
    if name.lower() in WILDCARDS and user_id is None:
        return plain(full_name)
    target = f"{name}|{user_id}" if user_id is not None else name
    return f"@{'_' if silent else ''}**{target}**"


def channel_link(stream: str, topic: Optional[str] = None) -> str:
    """``#**channel>topic**`` (or ``#**channel**``), or the names as text when the syntax cannot hold them.

    Zulip reads a code span, a mention or ``$$tex$$`` before a channel link,
    and ``*``, ``>`` or a new line ends one early: such names are written as text.
    """
    stream, topic = _one_line(stream), _one_line(topic) if topic else ""
    if not stream or _CHANNEL_UNSAFE.search(stream + topic):
        return "#" + plain(f"{stream} > {topic}" if topic else stream)
    return f"#**{stream}>{topic}**" if topic else f"#**{stream}**"


def bullet_list(items: Iterable[str]) -> str:
    """Items already formatted by the other helpers, one bullet each."""
    return "\n".join(f"* {item}" for item in items)


def truncate(text: str, limit: int, marker: str = "…") -> str:
    """Shorten host text (before it is formatted) to ``limit`` characters with a marker."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(marker))].rstrip() + marker


def _one_line(text: Optional[str]) -> str:
    """Names and labels: one line, without control, bidi or zero-width characters."""
    return " ".join(clean_name(text or "").split())


def _fence_for(text: str) -> str:
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)
    return "`" * max(3, longest + 1)


_URL_SAFE = ":/?#@!&'+,;=%-._~"
_CHANNEL_UNSAFE = re.compile(r"[*>`$]")
