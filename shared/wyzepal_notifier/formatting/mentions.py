"""Neutralise WyzePal mention syntax in untrusted text.

``@**all**``, ``@**everyone**``, ``@**Some User**``, ``@_**silent**`` and
``@*group*`` all start with ``@`` followed by ``*`` or ``_*``. A zero-width
space after the ``@`` keeps the text readable and makes it no longer a mention.
"""
from __future__ import annotations

import re

ZERO_WIDTH_SPACE = "\u200b"
_MENTION_START = re.compile(r"@(?=_?\*)")
#: Mentions that notify everyone in a channel or topic; the names Zulip reserves for them.
WILDCARDS = ("all", "everyone", "channel", "stream", "topic")
_WILDCARD_START = re.compile(r"@(?=_?\*\*(?:" + "|".join(WILDCARDS) + r")\*\*)", re.IGNORECASE)


def neutralize_mentions(text: str) -> str:
    """Return ``text`` with every mention (user, group, wildcard) made inert."""
    return _MENTION_START.sub("@" + ZERO_WIDTH_SPACE, text)


def neutralize_wildcard_mentions(text: str) -> str:
    """Make only ``@**all**``-style mentions inert; a bot's deliberate mention of a person stays."""
    return _WILDCARD_START.sub("@" + ZERO_WIDTH_SPACE, text)
