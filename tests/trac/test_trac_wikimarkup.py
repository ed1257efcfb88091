"""Trac wiki markup in descriptions and comments, as WyzePal markdown: one table of cases."""
from __future__ import annotations

import pytest
from wyzepal_trac.links import TracLinks
from wyzepal_trac.wikimarkup import to_markdown

T = "https://trac.example.com"

CASES = [
    ("'''bold''' and ''italic'' and '''''both'''''", "**bold** and *italic* and ***both***"),
    ("~~gone~~ and {{{x = 1}}} and `y`", "~~gone~~ and `x = 1` and `y`"),
    ("see #12, r42 and ticket:7", f"see [\\#12]({T}/ticket/12), [r42]({T}/changeset/42) and "
                                  f"[ticket:7]({T}/ticket/7)"),
    ("[wiki:Guide/Install the guide] [ticket:5] [42]",
     f"[the guide]({T}/wiki/Guide/Install) [\\#5]({T}/ticket/5) [42]({T}/changeset/42)"),
    ("[wiki:Changes] and [ticket:9]", f"[Changes]({T}/wiki/Changes) and [\\#9]({T}/ticket/9)"),
    ("[[TracGuide]] and [[wiki:Start|home]]", f"[TracGuide]({T}/wiki/TracGuide) and [home]({T}/wiki/Start)"),
    ("[https://example.com/a_b docs] https://example.com/x_y.", "[docs](https://example.com/a_b) "
                                                                "[https://example.com/x\\_y](https://example.com/x_y)."),
    ("comment:2:ticket:7 and [milestone:1.0 the release]",
     f"[comment:2:ticket:7]({T}/ticket/7#comment:2) and [the release]({T}/milestone/1.0)"),
    ("!#12 and !WikiWord stay as typed", "\\#12 and WikiWord stay as typed"),
    ("= Title =\n== Sub ==", "**Title**\n**Sub**"),
    (" * one\n   * nested\n 1. first", "* one\n  * nested\n1. first"),
    ("> quoted\n  cited", "> quoted\n> cited"),
    ("||a||b||", "a | b"),
    ("line[[br]]break", "line\nbreak"),
    ("{{{\n#!python\nprint('```')\n}}}", "````python\nprint('```')\n````"),
    ("{{{\nraw '''text'''\n}}}", "```\nraw '''text'''\n```"),
    ("{{{#!comment\nhidden\n}}}\nshown", "shown"),
    ("{{{#!div class=x\n'''inside'''\n}}}", "**inside**"),
    ("{{{\nnever closed", "```\nnever closed\n```"),
    ("[[Image(shot.png)]] [javascript:alert(1) x]", "\\[\\[Image(shot.png)\\]\\] \\[javascript:alert(1) x\\]"),
    ("@**all** '''@'''**everyone** *stars* <b>", "@\u200b\\*\\*all\\*\\* **@\u200b**\\*\\*everyone\\*\\* "
                                                 "\\*stars\\* \\<b\\>"),
]


@pytest.mark.parametrize("trac_text, markdown", CASES, ids=[case[0][:30] for case in CASES])
def test_trac_markup_becomes_markdown(trac_text, markdown):
    assert to_markdown(trac_text, TracLinks(T)) == markdown


def test_no_output_can_contain_a_live_mention():
    hostile = "@'''**all**''' @''*everyone*'' @{{{x}}}**all** @[wiki:x **all**] @**all**"
    assert "@*" not in to_markdown(hostile, TracLinks(T)).replace("@\u200b", "")
