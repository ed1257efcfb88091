"""Safe formatting: text from host users rendered so it cannot ping or break out.

Every plugin builds message content with these helpers; none concatenates raw
host text (ticket summaries, commit messages, job names) into markdown.
"""
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
    truncate_markdown,
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
