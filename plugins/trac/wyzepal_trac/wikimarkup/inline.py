"""Inline Trac markup: bold, italic, code, links, ticket and changeset references.

One regular expression with a named group per construct; the text between
matches is escaped with the library's ``plain``.
"""
from __future__ import annotations

import re
from typing import Callable

from wyzepal_notifier.formatting import inline_code, link, plain

from ..links import TracLinks
from .targets import resolve

_PATTERNS = [
    ("escaped", r"(?<!\S)!(?P<escaped_text>[\[#{'`\w][^\s]*)"),
    ("code", r"\{\{\{(?P<code_text>.+?)\}\}\}"),
    ("tick", r"`(?P<tick_text>[^`]+)`"),
    ("bolditalic", r"'''''(?P<bolditalic_text>.+?)'''''"),
    ("bold", r"'''(?P<bold_text>.+?)'''"),
    ("italic", r"''(?P<italic_text>.+?)''"),
    ("strike", r"~~(?P<strike_text>.+?)~~"),
    ("linebreak", r"\[\[br\]\]|\\\\$"),
    ("newlink", r"\[\[(?P<newlink_target>[^\]|(]+?)(?:\|(?P<newlink_label>[^\]]*))?\]\]"),
    ("macro", r"\[\[[^\]]*\]\]"),
    ("bracket", r"\[(?P<bracket_target>[^\s\]]+)(?:\s+(?P<bracket_label>[^\]]+))?\]"),
    ("ticket", r"(?<![\w&/])#(?P<ticket_id>\d+)\b"),
    ("revision", r"(?<![\w/])r(?P<revision_id>\d+)\b"),
    ("url", r"\b(?:https?|ftp)://[^\s<>\[\]\"']+[^\s<>\[\]\"'.,;:!?)]"),
    ("traclink", r"\b(?:ticket|wiki|changeset|milestone|report|source|comment):[^\s\[\]<>\"',;]*[^\s\[\]<>\"',;.:!?)]"),
]
_INLINE = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _PATTERNS), re.IGNORECASE)


def inline(text: str, links: TracLinks) -> str:
    """One line of Trac markup as markdown (escaped where not converted)."""
    out: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        out.append(plain(text[position:match.start()]))
        out.append(_CONVERTERS[match.lastgroup or ""](match, links))
        position = match.end()
    out.append(plain(text[position:]))
    return "".join(out)


def _emphasis(marker: str, group: str) -> Callable[[re.Match, TracLinks], str]:
    def convert(match: re.Match, links: TracLinks) -> str:
        inner = inline(match.group(group).strip(), links)
        return f"{marker}{inner}{marker}" if inner else ""
    return convert


def _labelled(target: str, label: str, links: TracLinks, original: str) -> str:
    url = resolve(target.strip(), links)
    if url is None:
        return plain(original)
    return link(label.strip() or target, url)


def _bracket(match: re.Match, links: TracLinks) -> str:
    target = match.group("bracket_target")
    return _labelled(target, match.group("bracket_label") or _default_label(target), links, match.group(0))


def _default_label(target: str) -> str:
    """As Trac shows ``[ticket:5]`` (``#5``) and ``[wiki:Page]`` (``Page``)."""
    realm, _, rest = target.partition(":")
    if realm == "ticket" and rest.isdigit():
        return "#" + rest
    if realm == "wiki" and rest:
        return rest
    return target


def _newlink(match: re.Match, links: TracLinks) -> str:
    target = match.group("newlink_target")
    url_target = target if ":" in target or target.startswith("#") else f"wiki:{target}"
    return _labelled(url_target, match.group("newlink_label") or target, links, match.group(0))


_CONVERTERS: dict[str, Callable[[re.Match, TracLinks], str]] = {
    "escaped": lambda m, links: plain(m.group("escaped_text")),
    "code": lambda m, links: inline_code(m.group("code_text")),
    "tick": lambda m, links: inline_code(m.group("tick_text")),
    "bolditalic": _emphasis("***", "bolditalic_text"),
    "bold": _emphasis("**", "bold_text"),
    "italic": _emphasis("*", "italic_text"),
    "strike": _emphasis("~~", "strike_text"),
    "linebreak": lambda m, links: "\n",
    "newlink": _newlink,
    "macro": lambda m, links: plain(m.group(0)),
    "bracket": _bracket,
    "ticket": lambda m, links: link(m.group(0), links.ticket(m.group("ticket_id"))),
    "revision": lambda m, links: link(m.group(0), links.changeset(m.group("revision_id"))),
    "url": lambda m, links: link(m.group(0), m.group(0)),
    "traclink": lambda m, links: _labelled(m.group(0), m.group(0), links, m.group(0)),
}
