"""Where Zulip's fenced blocks and code spans open and close, and how to close them.

Zulip finds fences before anything else, line by line: a line starting with
three or more backticks or tildes (plus an optional language) opens a block,
and only a line equal to that same fence closes it.  Inside ``quote`` and
``spoiler`` blocks a fence-looking line opens a nested block; inside code and
``math`` nothing does.  Inline code is a backtick run closed by a run of the
same length on the same line.

Cutting markdown (to the server's length limit) and quoting text that holds
fences both need this: an unclosed block or span swallows what follows it, and
what it protected (``@**all**`` in a test name, a log line) becomes live.
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

#: Zulip's ``FENCE_RE`` (zerver/lib/markdown/fenced_code.py).
FENCE_RE = re.compile(
    r"""
    (?P<fence>^(?:~{3,}|`{3,}))
    [ ]*
    (?:
        \{?\.?
        (?P<lang>[a-zA-Z0-9_+\-./\#]+)
        [ ]*
        (?P<header>[^ ~`][^~`]*)?
        \}?
    )?
    $
    """,
    re.VERBOSE,
)
#: Fence languages whose inside Zulip renders as Markdown (the rest are code).
MARKDOWN_LANGUAGES = frozenset(["quote", "quoted", "spoiler"])
#: Languages that make a fenced block something other than code.
SPECIAL_LANGUAGES = MARKDOWN_LANGUAGES | {"math"}
_BACKTICK_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")

Block = Tuple[str, bool]  # (fence, inside is markdown)


def fence_opening(line: str) -> Optional[Block]:
    """The block a line opens, if it is a fence line."""
    match = FENCE_RE.match(line)
    if not match:
        return None
    return match.group("fence"), (match.group("lang") or "").lower() in MARKDOWN_LANGUAGES


def open_blocks(lines: List[str], stack: Optional[List[Block]] = None) -> List[Block]:
    """The blocks still open after ``lines`` (outermost first), as Zulip reads them.

    ``stack`` is where the lines sit (empty: the top of a message).
    """
    stack = list(stack or [])
    for line in lines:
        if stack and line.rstrip() == stack[-1][0]:
            stack.pop()
        elif not stack or stack[-1][1]:
            opened = fence_opening(line)
            if opened:
                stack.append(opened)
    return stack


def open_code_span(line: str) -> Optional[str]:
    """The backtick run of a code span left open in ``line`` (Zulip's spans are one line)."""
    pos = 0
    while pos < len(line):
        if line[pos] == "\\":
            pos += 2
        elif line[pos] != "`":
            pos += 1
        else:
            match = _BACKTICK_SPAN.match(line, pos)
            if not match:
                return "`" * (len(line) - pos - len(line[pos:].lstrip("`")))
            pos = match.end()
    return None


def close_markdown(text: str, marker: str = "") -> str:
    """``text`` (a cut-off message) + ``marker``, with every block and code span closed."""
    lines = (text + marker).split("\n")
    stack = open_blocks(lines)
    last = lines[-1]
    tail = marker
    # Inside code nothing inline is open; a fence line is no paragraph either.
    if (not stack or stack[-1][1]) and not FENCE_RE.match(last):
        run = open_code_span(last)
        if run:
            tail += (" " if last.endswith("`") else "") + run
    closers = "".join("\n" + fence for fence, _ in reversed(stack))
    return text + tail + closers


def truncate_markdown(text: str, limit: int, marker: str = "…") -> str:
    """Formatted markdown cut to at most ``limit`` characters, closing every block and code span it cuts."""
    if len(text) <= limit:
        return text
    if limit < len(marker) + 1:
        marker = ""
    room = max(0, limit - len(marker))
    while True:
        head = text[:room]
        if (len(head) - len(head.rstrip("\\"))) % 2:  # never leave a backslash to escape the closers
            head = head[:-1]
        out = close_markdown(head, marker)
        if len(out) <= limit or room == 0:
            return out
        room = max(0, room - (len(out) - limit))
