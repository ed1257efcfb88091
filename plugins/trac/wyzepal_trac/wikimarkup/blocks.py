"""Line-level Trac markup: ``{{{ }}}`` blocks, headings, lists, quotes, tables."""
from __future__ import annotations

import re
from typing import Iterator, Optional

from wyzepal_notifier.formatting import code_block, neutralize_mentions

from ..links import TracLinks
from .inline import inline

_HEADING = re.compile(r"^\s*={1,6}\s(?P<text>.*?)\s*(?:#[\w:][\w:.-]*)?\s*$")
_LIST_ITEM = re.compile(r"^(?P<indent>\s+)(?P<marker>[*-]|\d+\.|[a-zA-Z]\.|[ivxIVX]+\.)\s+(?P<text>.*)$")
_QUOTE = re.compile(r"^(?P<depth>>+)\s?(?P<text>.*)$")
_TABLE_ROW = re.compile(r"^\s*\|\|(?P<cells>.*?)\|\|\s*$")
_RULE = re.compile(r"^\s*-{4,}\s*$")
_PROCESSOR = re.compile(r"^#!(?P<name>[\w/+.-]+)")

#: Processors whose content is itself wiki markup.
_WIKI_PROCESSORS = {"div", "span", "td", "th", "tr", "table", "wiki", "trac-wiki", "default"}
_DROPPED_PROCESSORS = {"comment"}


def to_markdown(text: Optional[str], links: TracLinks) -> str:
    """Trac wiki text as safe WyzePal markdown."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return neutralize_mentions("\n".join(_convert(lines, links)).strip("\n"))


def _convert(lines: list[str], links: TracLinks) -> Iterator[str]:
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.strip().startswith("{{{") and "}}}" not in line.strip()[3:]:
            body, index = _collect_block(lines, index)
            yield from _render_block(line.strip()[3:], body, links)
            continue
        yield _convert_line(line, links)
        index += 1


def _collect_block(lines: list[str], start: int) -> tuple[list[str], int]:
    """The lines of a ``{{{`` block (nested blocks included) and the index after it."""
    depth, body = 1, []
    index = start + 1
    while index < len(lines):
        stripped = lines[index].strip()
        if stripped.startswith("{{{") and "}}}" not in stripped[3:]:
            depth += 1
        elif stripped == "}}}":
            depth -= 1
            if depth == 0:
                return body, index + 1
        body.append(lines[index])
        index += 1
    return body, index  # unclosed: the rest of the text is the block, as Trac does


def _render_block(opening: str, body: list[str], links: TracLinks) -> Iterator[str]:
    first = opening.strip() or (body[0].strip() if body else "")
    processor = _PROCESSOR.match(first)
    if processor and not opening.strip():
        body = body[1:]
    name = processor.group("name").lower() if processor else ""
    if name in _DROPPED_PROCESSORS:
        return
    if name in _WIKI_PROCESSORS:
        yield from _convert(body, links)
        return
    yield code_block("\n".join(body), _language(name))


def _language(processor: str) -> str:
    """``#!python`` is python; ``#!text/x-python`` is python too."""
    name = processor.rsplit("/", 1)[-1]
    return name[2:] if name.startswith("x-") else name


def _convert_line(line: str, links: TracLinks) -> str:
    if not line.strip():
        return ""
    heading = _HEADING.match(line)
    if heading:
        return f"**{inline(heading.group('text').rstrip('= '), links)}**"
    if _RULE.match(line):
        return ""
    item = _LIST_ITEM.match(line)
    if item:
        return _list_item(item, links)
    quoted = _QUOTE.match(line)
    if quoted:
        return "> " * len(quoted.group("depth")) + inline(quoted.group("text"), links)
    row = _TABLE_ROW.match(line)
    if row:
        return " | ".join(inline(cell.strip(), links) for cell in row.group("cells").split("||"))
    if line[:1].isspace():  # an indented paragraph is a citation in Trac
        return "> " + inline(line.strip(), links)
    return inline(line, links)


def _list_item(item: re.Match, links: TracLinks) -> str:
    level = max(0, (len(item.group("indent").expandtabs(4)) - 1) // 2)
    marker = item.group("marker")
    bullet = "*" if marker in ("*", "-") else ("1." if marker[:-1].isdigit() else "*")
    return "  " * level + f"{bullet} " + inline(item.group("text"), links)
