"""Neutralise WyzePal mention syntax in untrusted text.

``@**all**``, ``@**everyone**``, ``@**Some User**``, ``@_**silent**`` and
``@*group*`` all start with ``@`` followed by ``*`` or ``_*``. A zero-width
space after the ``@`` keeps the text readable and makes it no longer a mention.
"""
from __future__ import annotations

import re

ZERO_WIDTH_SPACE = "\u200b"
_MENTION_START = re.compile(r"@(?=_?\*)")


def neutralize_mentions(text: str) -> str:
    """Return ``text`` with every mention (user, group, wildcard) made inert."""
    return _MENTION_START.sub("@" + ZERO_WIDTH_SPACE, text)
