"""Jenkins' remote API shaping: ``tree=jobs[name,url,jobs[name]]{0,10}`` and ``depth``.

Real Jenkins exports each object's fields; nested objects show only their
summary unless ``depth`` asks for more, and ``tree`` picks fields at any depth.
A field named in ``tree`` without a sub-tree whose value is an object comes back
as ``{"_class": ...}`` only: python-jenkins relies on that to detect folders
deeper than its query reached.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


class Node:
    """An exported object: ``full()`` at the top level, ``summary()`` when nested."""

    cls: str = ""

    def full(self) -> dict[str, Any]:
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass
class TreeField:
    name: str
    children: Optional[list[TreeField]] = None
    start: Optional[int] = None
    stop: Optional[int] = None


class TreeSyntaxError(ValueError):
    """A ``tree`` query Jenkins would reject with HTTP 400."""


def parse_tree(text: str) -> list[TreeField]:
    fields, position = _parse_fields(text, 0)
    if position != len(text):
        raise TreeSyntaxError(f"unexpected {text[position]!r} at {position} in tree={text}")
    return fields


def _parse_fields(text: str, position: int) -> tuple[list[TreeField], int]:
    fields: list[TreeField] = []
    while position < len(text):
        start = position
        while position < len(text) and text[position] not in ",[]{}":
            position += 1
        current = TreeField(text[start:position].strip())
        if position < len(text) and text[position] == "[":
            current.children, position = _parse_fields(text, position + 1)
            if position >= len(text) or text[position] != "]":
                raise TreeSyntaxError(f"unclosed [ in tree={text}")
            position += 1
        if position < len(text) and text[position] == "{":
            end = text.find("}", position)
            if end < 0:
                raise TreeSyntaxError(f"unclosed {{ in tree={text}")
            current.start, current.stop = _parse_range(text[position + 1:end])
            position = end + 1
        if current.name:
            fields.append(current)
        if position < len(text) and text[position] == ",":
            position += 1
            continue
        break
    return fields, position


def _parse_range(text: str) -> tuple[Optional[int], Optional[int]]:
    try:
        if "," not in text:
            index = int(text)
            return index, index + 1
        low, high = text.split(",", 1)
        return (int(low) if low.strip() else None), (int(high) if high.strip() else None)
    except ValueError:
        raise TreeSyntaxError(f"bad range {{{text}}}") from None


@dataclass
class Exporter:
    """Turns nodes into JSON-ready data under a ``tree`` or a ``depth``."""

    depth: int = 0
    tree: Optional[list[TreeField]] = field(default=None)

    def export(self, node: Node) -> dict[str, Any]:
        if self.tree is not None:
            return self._by_tree(node, self.tree)
        return self._by_depth(node, 0)

    def _by_tree(self, value: Any, fields: Optional[list[TreeField]]) -> Any:
        if isinstance(value, Node):
            if not fields:
                return {"_class": value.cls}
            data = value.full()
            out: dict[str, Any] = {"_class": value.cls}
            for wanted in fields:
                if wanted.name in data:
                    item = data[wanted.name]
                    if isinstance(item, list):
                        item = item[wanted.start:wanted.stop]
                    out[wanted.name] = self._by_tree(item, wanted.children)
            return out
        if isinstance(value, list):
            return [self._by_tree(item, fields) for item in value]
        if isinstance(value, dict) and fields:
            return {f.name: self._by_tree(value[f.name], f.children) for f in fields if f.name in value}
        return self._plain(value)

    def _by_depth(self, value: Any, level: int) -> Any:
        if isinstance(value, Node):
            data = value.full() if level <= self.depth else value.summary()
            return {"_class": value.cls, **{k: self._by_depth(v, level + 1) for k, v in data.items()}}
        if isinstance(value, list):
            return [self._by_depth(item, level) for item in value]
        if isinstance(value, dict):
            return {k: self._by_depth(v, level) for k, v in value.items()}
        return value

    def _plain(self, value: Any) -> Any:
        if isinstance(value, Node):
            return {"_class": value.cls, **value.summary()}
        if isinstance(value, list):
            return [self._plain(item) for item in value]
        if isinstance(value, dict):
            return {k: self._plain(v) for k, v in value.items()}
        return value
