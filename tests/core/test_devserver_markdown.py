"""The dev server renders Markdown as a real Zulip server does.

The oracle is Zulip's own fixture (``fixtures/zulip_markdown``, Apache-2.0, see
SOURCE.md there).  Every case in it is either run here or named in
``OUT_OF_SCOPE`` with the reason, so a case added to the fixture cannot be
skipped silently.  Mentions and channel links are not in the fixture (Zulip
tests them against its database); the unit tests below use a fake Lookup.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Optional

import pytest
from wyzepal_notifier.devserver.markdown import render

FIXTURE = Path(__file__).parent / "fixtures" / "zulip_markdown" / "markdown_test_cases.json"
CASES = json.loads(FIXTURE.read_text(encoding="utf-8"))
#: Zulip's test realm; links into it become relative (``fragment_link``).
REALM_URL = "http://zulip.testserver"

_HILITE = "Pygments syntax highlighting (the dev server escapes code, it does not colour it)"
_KATEX = "KaTeX typesetting (the dev server keeps the TeX in KaTeX's annotation element, untypeset)"
_PREVIEW = "image/video previews need Zulip's thumbnailer and camo proxy"
_EMOTICON = "emoticon translation is a per-user setting the dev server has no user for"
_TIME = "<time:...> needs Zulip's date parser (dateutil) and the viewer's time zone"
_LIST = "Python-Markdown's 2-space list nesting and list-type rules, where CommonMark differs"

OUT_OF_SCOPE = {
    "codeblock_hilite_python": _HILITE,
    "codeblock_canonicalize_lang_alias": _HILITE,
    "codeblock_hilite_shebang_feature_no_path_1": _HILITE,
    "codeblock_hilite_shebang_feature_no_path_2": _HILITE,
    "codeblock_hilite_shebang_feature_with_path": _HILITE,
    "codeblock_hilite_startinline_php": _HILITE,
    "tex_fenced_tex": _HILITE,
    "tex_fenced_latex": _HILITE,
    "fenced_complexly_nested_quote": "Python-Markdown keeps a paragraph line's leading spaces ('  puts'); "
    "CommonMark strips them (the fence nesting itself matches)",
    "fenced_quotes_inside_mathblock": _KATEX,
    "tex_inline": _KATEX,
    "tex_complex": _KATEX,
    "tex_fenced_math": _KATEX,
    "tex_money": _KATEX,
    "tex_inline_permissive_spacing": _KATEX,
    "tex_safe_script_tag": _KATEX,
    "tex_error_safe_script_tag": _KATEX + "; errors need KaTeX's parser",
    "tex_inline_no_markdown_inside": _KATEX,
    "tex_display_no_markdown_inside": _KATEX,
    "tex_inline_error_no_markdown_inside": _KATEX + "; errors need KaTeX's parser",
    "tex_display_error_no_markdown_inside": _KATEX + "; errors need KaTeX's parser",
    "non_empty_blockquote": "Python-Markdown continues a quote lazily after empty '>' lines; CommonMark does not",
    "list_complexly_nested": _LIST,
    "ulist_mixed_bullets": _LIST,
    "ulist_codeblock_interference": _LIST,
    "ulist_nested_ulist_two_space_indent": _LIST,
    "ulist_list_two_space_indent": _LIST,
    "numbered_list": _LIST,
    "auto_renumbered_list_trick": _LIST,
    "two_auto_renumbered_lists": _LIST,
    "ulist_with_inline_code": "Python-Markdown keeps a list item's trailing space; CommonMark strips it",
    "nl2br_trailing_space": "Python-Markdown keeps a paragraph's trailing spaces; CommonMark strips them",
    "inline_image": _PREVIEW,
    "two_inline_images": _PREVIEW,
    "deduplicate_inline_previews": _PREVIEW,
    "bulleted_list_inlining": _PREVIEW,
    "only_inline_image": _PREVIEW,
    "only_named_inline_image": _PREVIEW,
    "only_inline_video": _PREVIEW,
    "only_named_inline_video": _PREVIEW,
    "spoiler_with_inline_image": _PREVIEW,
    "translate_emoticons_enabled": _EMOTICON,
    "translate_emoticons": _EMOTICON,
    "translate_emoticons_newline": _EMOTICON,
    "translate_emoticons_at_sentence_end": _EMOTICON,
    "translate_emoticons_between_symbols": _EMOTICON,
    "timestamp_backend_markdown_only": _TIME,
    "timestamp_backend_markdown_and_marked": _TIME,
    "timestamp_invalid_input": _TIME,
    "timestamp_timezone": _TIME,
    "timestamp_incorrect": _TIME,
    "timestamp_unix": _TIME,
    "timestamp_unix_overflow": _TIME,
}

IN_SCOPE = [case for case in CASES["regular_tests"] if case["name"] not in OUT_OF_SCOPE]


def normalise(markup: str) -> str:
    """Whitespace between tags is not significant to a browser or a client's parser."""
    return re.sub(r">\s+<", "><", markup.strip())


class FakeLookup:
    """An organisation of three people and two channels."""

    USERS = {7: "Alice Smith", 8: "Bob Jones", 9: "Cordelia, Lear's daughter"}
    STREAMS = {"general": 1, "build status": 2}

    def user_by_name_or_email(self, name: str) -> Optional[tuple[int, str]]:
        for user_id, full_name in self.USERS.items():
            email = full_name.split()[0].lower().rstrip(",") + "@example.com"
            if name.lower() in (full_name.lower(), email):
                return user_id, full_name
        return None

    def user_by_id(self, user_id: int) -> Optional[tuple[int, str]]:
        return (user_id, self.USERS[user_id]) if user_id in self.USERS else None

    def stream_by_name(self, name: str) -> Optional[int]:
        return self.STREAMS.get(name)


def test_every_fixture_case_is_run_or_listed_out_of_scope():
    names = [case["name"] for case in CASES["regular_tests"]]
    assert len(names) == len(set(names))
    assert set(OUT_OF_SCOPE) <= set(names), set(OUT_OF_SCOPE) - set(names)
    assert len(IN_SCOPE) + len(OUT_OF_SCOPE) == len(names)
    assert len(IN_SCOPE) >= 120  # most of Zulip's cases are in scope


@pytest.mark.parametrize("case", IN_SCOPE, ids=[case["name"] for case in IN_SCOPE])
def test_zulip_fixture_case(case):
    rendered = render(case["input"], FakeLookup(), realm_url=REALM_URL)
    assert normalise(rendered) == normalise(case["expected_output"])


def _linkify_expected(reference: str, url: str) -> str:
    """Zulip's own expansion of a linkify case (test_markdown.py, ``replaced``)."""
    if "%s" not in reference:  # Zulip's test falls back to the reference on a TypeError
        return reference
    href = url if url[:4] == "http" else ("mailto:" + url if "@" in url else "http://" + url)
    return reference % (f'<a href="{href}">{url}</a>',)


@pytest.mark.parametrize("inline,reference,url", CASES["linkify_tests"],
                         ids=[case[0][:40] for case in CASES["linkify_tests"]])
def test_zulip_linkify_case(inline, reference, url):
    assert render(inline, FakeLookup(), realm_url=REALM_URL) == _linkify_expected(reference, url)


# --- mentions, wildcards, channel and topic links (Zulip 10 markup) ---------------------
@pytest.mark.parametrize(
    "content,expected",
    [
        ("@**Alice Smith**", '<span class="user-mention" data-user-id="7">@Alice Smith</span>'),
        ("@**alice smith**", '<span class="user-mention" data-user-id="7">@Alice Smith</span>'),
        ("@**bob@example.com**", '<span class="user-mention" data-user-id="8">@Bob Jones</span>'),
        ("@**Alice Smith|7**", '<span class="user-mention" data-user-id="7">@Alice Smith</span>'),
        ("@**|8**", '<span class="user-mention" data-user-id="8">@Bob Jones</span>'),
        ("@_**Alice Smith**", '<span class="user-mention silent" data-user-id="7">Alice Smith</span>'),
        ("@_**Bob Jones|8**", '<span class="user-mention silent" data-user-id="8">Bob Jones</span>'),
        ("@**Cordelia, Lear's daughter**",
         '<span class="user-mention" data-user-id="9">@Cordelia, Lear\'s daughter</span>'),
    ],
)
def test_user_mentions(content, expected):
    assert render(content, FakeLookup()) == f"<p>{expected}</p>"


@pytest.mark.parametrize("wildcard", ["all", "everyone", "channel", "stream"])
def test_channel_wildcards(wildcard):
    expected = f'<span class="user-mention channel-wildcard-mention" data-user-id="*">@{wildcard}</span>'
    assert render(f"@**{wildcard}** build", FakeLookup()) == f"<p>{expected} build</p>"
    assert render(f"@**{wildcard}**") == f"<p>{expected}</p>"  # no organisation needed
    silent = f'<span class="user-mention channel-wildcard-mention silent" data-user-id="*">{wildcard}</span>'
    assert render(f"@_**{wildcard}**") == f"<p>{silent}</p>"


def test_topic_wildcard():
    assert render("@**topic** look") == '<p><span class="topic-mention">@topic</span> look</p>'
    assert render("@_**topic**") == '<p><span class="topic-mention silent">topic</span></p>'


@pytest.mark.parametrize(
    "content",
    ["@**Nobody Here**", "@**Alice Smith|8**", "@**|99**", "@_**Nobody**", "@**ALL**"],
)
def test_unknown_users_stay_text(content):
    """Zulip leaves a mention of nobody as it was written (its ``**`` then bold)."""
    rendered = render(content, FakeLookup())
    assert "user-mention" not in rendered and "topic-mention" not in rendered
    assert rendered == render(content.replace("@", "", 1), FakeLookup()).replace("<p>", "<p>@", 1)


def test_mentions_need_a_lookup_for_people():
    assert "user-mention" not in render("@**Alice Smith**")


@pytest.mark.parametrize(
    "content",
    ["x@**all**", "a@**Alice Smith**", "@\u200b**all**", "`@**all**`", "```\n@**all**\n```",
     "~~~math\n@**all**\n~~~", "    @**all** indented code", "$$@**all**$$"],
)
def test_no_mention_where_zulip_renders_none(content):
    rendered = render(content, FakeLookup())
    assert "user-mention" not in rendered, rendered


def test_mentions_win_over_links_as_in_zulip():
    """Zulip matches mentions before links: in a label or a target they notify."""
    assert "user-mention" in render("[@**all**](https://x.example)")
    assert "user-mention" in render("[app #42](@**all**)")
    assert "stream" in render("[x](#**general**)", FakeLookup())
    assert render("[x](https://x.example/@me)") == '<p><a href="https://x.example/@me">x</a></p>'


def test_mention_after_punctuation_zulip_allows():
    for before in " (\"'[{/<":
        assert "user-mention" in render(f"x{before}@**all**")


@pytest.mark.parametrize(
    "content,expected",
    [
        ("#**general**", '<a class="stream" data-stream-id="1" href="/#narrow/channel/1-general">#general</a>'),
        ("#**build status**",
         '<a class="stream" data-stream-id="2" href="/#narrow/channel/2-build-status">#build status</a>'),
        ("#**general>deploy 1.2**",
         '<a class="stream-topic" data-stream-id="1" href="/#narrow/channel/1-general/topic/deploy.201.2E2">'
         "#general &gt; deploy 1.2</a>"),
        ("#**general>#1234**",
         '<a class="stream-topic" data-stream-id="1" href="/#narrow/channel/1-general/topic/.231234">'
         "#general &gt; #1234</a>"),
    ],
)
def test_channel_and_topic_links(content, expected):
    assert render(content, FakeLookup()) == f"<p>{expected}</p>"


@pytest.mark.parametrize("content", ["#**nowhere**", "#**nowhere>topic**", "#**general", "`#**general**`"])
def test_unknown_or_quoted_channels_stay_text(content):
    assert "stream" not in render(content, FakeLookup())


# --- the fences integrations rely on ----------------------------------------------------
def test_quote_fence_renders_markdown_inside_and_closes_on_its_own_fence():
    rendered = render("````quote\n**bold**\n```\ncode\n```\n````\nafter @**all**")
    assert normalise(rendered) == (
        '<blockquote><p><strong>bold</strong></p><div class="codehilite"><pre><span></span>'
        "<code>code\n</code></pre></div></blockquote><p>after "
        '<span class="user-mention channel-wildcard-mention" data-user-id="*">@all</span></p>'
    )


def test_a_fence_line_inside_a_quote_opens_a_block_as_in_zulip():
    """Zulip nests: a ``~~~`` inside a ```` ``` ```` quote opens code that runs on."""
    rendered = render("```quote\nlog:\n~~~\n```\n@**all**")
    assert "user-mention" not in rendered
    assert "<code>```\n@**all**\n</code>" in rendered


def test_unclosed_code_fence_runs_to_the_end():
    assert "user-mention" not in render("```\nopen\n\n@**all**")


def test_code_closes_only_on_the_same_fence():
    rendered = render("````\n```\n@**all**\n~~~~\n````\n@**all**")
    assert rendered.count("user-mention") == 1
    assert "<code>```\n@**all**\n~~~~\n</code>" in rendered


def test_spoiler_and_math_fences():
    spoiler = render("```spoiler Build log\nall **green**\n```")
    assert normalise(spoiler) == (
        '<div class="spoiler-block"><div class="spoiler-header"><p>Build log</p></div>'
        '<div class="spoiler-content" aria-hidden="true"><p>all <strong>green</strong></p></div></div>'
    )
    math = render("```math\na^2 <b> **x**\n```")
    assert '<annotation encoding="application/x-tex">a^2 &lt;b&gt; **x**</annotation>' in math
    assert "<strong>" not in math


def test_only_safe_schemes_become_links():
    assert render("[x](javascript:alert(1))") == "<p>[x](javascript:alert(1))</p>"
    assert render("[x](data:text/html,hi)") == "<p>[x](data:text/html,hi)</p>"
    assert render("[x](https://ci.example/job/1)") == '<p><a href="https://ci.example/job/1">x</a></p>'


def test_raw_html_is_text():
    assert render("<b>hi</b> & <script>") == "<p>&lt;b&gt;hi&lt;/b&gt; &amp; &lt;script&gt;</p>"


def test_emoji_names():
    assert render(":tada: :nosuchemoji:") == (
        '<p><span aria-label="tada" class="emoji emoji-1f389" role="img" title="tada">:tada:</span>'
        " :nosuchemoji:</p>"
    )
