"""Safe formatting: text from host users rendered so it cannot ping or break out.

Every plugin builds message content with these helpers; none concatenates raw
host text (ticket summaries, commit messages, job names) into markdown.
Link targets are encoded and only ``http(s)`` (or a path from the root) becomes
a link; quotes and code blocks hold against any fence inside; names, topics and
link texts lose control, bidi and zero-width characters (``clean_name``);
``truncate_markdown`` (and ``Message.checked()``'s cut to the server's limit)
closes every block and code span it cuts.
"""
from .blocks import truncate_markdown
from .markdown import (
    bold,
    bullet_list,
    channel_link,
    code_block,
    escape,
    inline_code,
    italic,
    link,
    mention,
    plain,
    quote,
    safe_url,
    truncate,
)
from .mentions import neutralize_mentions, neutralize_wildcard_mentions
from .text import clean_content, clean_name

__all__ = [
    "bold",
    "bullet_list",
    "channel_link",
    "clean_content",
    "clean_name",
    "code_block",
    "escape",
    "inline_code",
    "italic",
    "link",
    "mention",
    "neutralize_mentions",
    "neutralize_wildcard_mentions",
    "plain",
    "quote",
    "safe_url",
    "truncate",
    "truncate_markdown",
]
