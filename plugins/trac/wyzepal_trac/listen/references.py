"""``#123`` and ``[changeset]`` references in chat text, as Trac's own wiki syntax writes them."""
from __future__ import annotations

import re
from typing import Optional

#: Code blocks and code spans: a reference inside is quoted code, not a question.
_CODE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`", re.DOTALL)
#: ``#123`` not inside a word, a URL fragment, an HTML entity (``&#123;``) or an escaped ``\#``.
_TICKET = re.compile(r"(?<![\w\\&/#])#(\d{1,9})\b")
#: ``[1234]``, ``[abc1234]`` or ``[rev/repository]``; not a markdown link (``[text](url)``).
_CHANGESET = re.compile(r"(?<![\\\w])\[([0-9a-fA-F]{1,40}|\d{1,9})(?:/([\w.-]{1,64}))?\](?!\()")
#: At most this many references answered per message (a pasted list is not a question).
MAX_REFERENCES = 5


def references(text: str) -> list[tuple[str, str, Optional[str]]]:
    """``("ticket", "123", None)`` and ``("changeset", "abc1234", "repo" or None)``, in order, once each."""
    text = _CODE.sub(" ", text or "")
    found: list[tuple[int, tuple[str, str, Optional[str]]]] = []
    found += [(m.start(), ("ticket", m.group(1), None)) for m in _TICKET.finditer(text)]
    found += [(m.start(), ("changeset", m.group(1), m.group(2))) for m in _CHANGESET.finditer(text)]
    unique: list[tuple[str, str, Optional[str]]] = []
    for _, ref in sorted(found):
        if ref not in unique:
            unique.append(ref)
    return unique[:MAX_REFERENCES]
