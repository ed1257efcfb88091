"""Hostile text from host users must not ping anyone or escape its element."""
from __future__ import annotations

import re

import pytest
from wyzepal_notifier.formatting import (
    bold,
    code_block,
    inline_code,
    link,
    mention,
    neutralize_mentions,
    plain,
    quote,
    truncate,
)

# A mention is "@" directly followed by "**", "_**" or "*" (group); the server pings on these.
LIVE_MENTION = re.compile(r"@_?\*")

HOSTILE = [
    "@**all** look",
    "@**everyone** please",
    "@**channel** and @**stream** and @**topic**",
    "@_**all** silent",
    "@*backend-team* group",
    "ping @**Alice Smith|42**",
    "email me at x@**y**",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_neutralize_mentions_leaves_no_live_mention(text):
    assert LIVE_MENTION.search(text)
    cleaned = neutralize_mentions(text)
    assert not LIVE_MENTION.search(cleaned)
    assert cleaned.replace("\u200b", "") == text  # readable: only an invisible character added


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("helper", [plain, bold, quote, lambda t: link(t, "https://x.example/1")])
def test_every_prose_helper_neutralizes(helper, text):
    assert not LIVE_MENTION.search(helper(text))


def test_plain_escapes_markdown():
    assert plain("*bold* _it_ [a](b) `c`") == r"\*bold\* \_it\_ \[a\](b) \`c\`"
    assert plain("# heading\n> quote") == "\\# heading\n\\> quote"


def test_link_label_and_url_cannot_end_the_link_early():
    out = link("x](javascript:alert(1)) [y", "https://t.example/a b)c")
    assert out.startswith("[") and len(re.findall(r"(?<!\\)\]\(", out)) == 1
    assert out.endswith("(https://t.example/a%20b%29c)")


@pytest.mark.parametrize("text", ["```\nbreak out\n```", "````", "a ``` b", "~~~\nx"])
def test_code_block_cannot_be_closed_by_its_content(text):
    block = code_block(text)
    fence = block.splitlines()[0]
    inner = block.splitlines()[1:-1]
    assert block.splitlines()[-1] == fence
    assert all(not line.startswith(fence) for line in inner)


def test_quote_cannot_be_closed_by_its_content():
    block = quote("````\n@**all**\n```")
    lines = block.splitlines()
    fence = lines[0][: -len("quote")]
    assert lines[-1] == fence and len(fence) == 5
    assert not LIVE_MENTION.search(block)


def test_inline_code_wraps_backticks():
    assert inline_code("a`b") == "``a`b``"
    assert inline_code("`x`") == "`` `x` ``"
    assert "\n" not in inline_code("a\nb")


def test_mention_refuses_wildcards_but_mentions_people():
    assert mention("Alice Smith", 42) == "@**Alice Smith|42**"
    assert mention("Alice", silent=True) == "@_**Alice**"
    assert not LIVE_MENTION.search(mention("all"))
    assert not LIVE_MENTION.search(mention("everyone"))


def test_truncate_marks_the_cut():
    assert truncate("abcdef", 4) == "abc…"
    assert truncate("abc", 4) == "abc"


def test_wildcard_only_neutralizing_keeps_person_mentions():
    from wyzepal_notifier.formatting import neutralize_wildcard_mentions

    text = "@**all** @_**Everyone** @**topic** thanks @**Alice|3** and @*team*"
    cleaned = neutralize_wildcard_mentions(text)
    assert "@**Alice|3**" in cleaned and "@*team*" in cleaned
    assert not re.search(r"@_?\*\*(all|everyone|topic)\*\*", cleaned, re.IGNORECASE)
