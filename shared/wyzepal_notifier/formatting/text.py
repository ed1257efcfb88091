"""Characters from hosts that a chat server refuses or that disguise text.

A real server refuses a topic with a control character (``\\x07``, ``\\x1b``
from a build log's colours) and a NUL anywhere makes the request fail for
good: the outbox would keep a row that can never be delivered.  Bidi overrides
and zero-width characters in a name or topic make one thing look like another
(``@**all**`` hidden in a "name", a reversed file extension).  Everything that
becomes a message passes :func:`clean_content`; names, topics and link texts
pass :func:`clean_name` as well.
"""
from __future__ import annotations

import re

#: What a control character becomes: visible, and accepted by every server.
REPLACEMENT = "\ufffd"
# C0 controls except tab and newline, DEL, C1 controls, and lone surrogates (bytes a
# host decoded with ``surrogateescape``: no UTF-8 request body can carry them).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# Bidi embeddings, overrides and isolates; zero-width space, joiner, non-joiner,
# word joiner and the byte-order mark.
_INVISIBLE = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060\ufeff]")


def clean_content(text: str) -> str:
    """Line ends made ``\\n``; other control characters (NUL included) and lone surrogates replaced."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(REPLACEMENT, text)


def clean_name(text: str) -> str:
    """A name, topic or link text: no control characters, no bidi or zero-width ones."""
    return _INVISIBLE.sub("", clean_content(text))
