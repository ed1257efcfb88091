"""Text from hosts stays text: no cut, target, fence or control character lets it out.

Every check renders the result with the dev server's Zulip-flavoured renderer
(``wyzepal_notifier.devserver.markdown``) and asks what a reader would see:

* no live mention the text did not intend (``user-mention``/``topic-mention``),
  with an organisation in which *every* name is a user, the worst case;
* every block closed: a sentinel paragraph written after the formatted text
  renders as a paragraph of its own at the end, not swallowed by a code block
  or quote left open.

Classes: cuts (shortening to the server's limit), link targets, fences inside
quoted/fenced text, control/bidi/zero-width characters; then a property test
with random host text and random cut points through every formatter.  The
``check_*`` functions take the implementation as an argument so the same
tables can be run against older code.
"""
from __future__ import annotations

import json
import re
import sys
import unicodedata
from typing import Callable, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wyzepal_notifier import Message, MessageRejected
from wyzepal_notifier.devserver.markdown import render
from wyzepal_notifier.formatting import (
    bold,
    bullet_list,
    channel_link,
    code_block,
    inline_code,
    italic,
    link,
    mention,
    plain,
    quote,
    truncate_markdown,
)
from wyzepal_notifier.message import CONTENT_TRUNCATION_NOTE, shorten_content
from wyzepal_trac.links import TracLinks
from wyzepal_trac.wikimarkup import to_markdown

SENTINEL = "SENTINEL-after-the-formatted-text"
LIVE = re.compile(r'<span class="(?:user-mention|topic-mention)[^"]*"')
HREF = re.compile(r'<a href="([^"]*)"')


class EveryoneExists:
    """An organisation where any name or id is a user: every unneutralised mention is live."""

    def user_by_name_or_email(self, name: str) -> Optional[tuple[int, str]]:
        return 1, name

    def user_by_id(self, user_id: int) -> Optional[tuple[int, str]]:
        return user_id, f"User {user_id}"

    def stream_by_name(self, name: str) -> Optional[int]:
        return 1


def rendered(markdown: str) -> str:
    return render(markdown, EveryoneExists())


def assert_inert(markdown: str, intended: int = 0) -> None:
    """No mention beyond the ``intended`` ones, and nothing after ``markdown`` swallowed."""
    html = rendered(markdown + "\n\n" + SENTINEL)
    assert len(LIVE.findall(html)) == intended, (markdown, html)
    assert html.endswith(f"<p>{SENTINEL}</p>"), (markdown, html)


# --- class 1: cuts ----------------------------------------------------------------------
MENTIONS = ["@**all**", "@**everyone**", "@_**channel**", "@**topic**", "@**Alice Smith**", "@**stream**"]
LONG_PATHS = " ".join(f"/trunk/module{n}/src/file{n}.c @**all**" for n in range(40))
CUT_CONTENTS = {
    "svn path list in a code span": "Changed paths: " + inline_code(LONG_PATHS) + " done",
    "branch name in a code span": "Pushed to " + inline_code("feature/" + "@**everyone** " * 30) + " by Bob",
    "test name in a double-backtick span": "Failed: " + inline_code("test`weird` " + "@**all** " * 25) + ".",
    "log in a code block": "Build failed:\n" + code_block("\n".join(f"line {n} @**all**" for n in range(40))),
    "log with fences in a code block": "Log:\n" + code_block("```\n~~~\n@**topic**\n" * 15),
    "quoted description": "Ticket:\n" + quote("desc @**all**\n```\ncode @**all**\n```\n" * 10),
    "quote holding a spoiler": quote("```spoiler details\n" + "@**channel** text\n" * 15 + "```"),
    "math block": "```math\n" + "x @**all** " * 40 + "\n```",
    "two code spans per line": " ".join(inline_code(f"@**all** {n}") for n in range(30)),
    "bullet list of code spans": bullet_list(inline_code(f"case {n} @**everyone**") for n in range(20)),
}
CUT_POINTS = [30, 47, 61, 90, 133, 201, 257]
CUT_CASES = [(name, limit) for name in CUT_CONTENTS for limit in CUT_POINTS]


def check_cut(shorten: Callable[[str, int], str], content: str, limit: int) -> None:
    assert_inert(content)  # the uncut text is safe...
    cut = shorten(content, limit)
    assert len(cut) <= limit, (len(cut), limit)
    assert_inert(cut)  # ...and so is every cut of it


@pytest.mark.parametrize("name,limit", CUT_CASES, ids=[f"{n}@{limit}" for n, limit in CUT_CASES])
def test_shorten_content_closes_what_it_cuts(name, limit):
    check_cut(shorten_content, CUT_CONTENTS[name], limit + len(CONTENT_TRUNCATION_NOTE))


@pytest.mark.parametrize("name,limit", CUT_CASES, ids=[f"{n}@{limit}" for n, limit in CUT_CASES])
def test_truncate_markdown_closes_what_it_cuts(name, limit):
    check_cut(truncate_markdown, CUT_CONTENTS[name], limit)


def test_a_message_cut_at_the_server_limit_keeps_its_note_outside():
    content = "Changed paths: " + inline_code(" ".join(["/trunk/x @**all**"] * 2000))
    checked = Message.to_stream("svn", "r1", content).checked()
    assert checked.content.endswith(CONTENT_TRUNCATION_NOTE)
    html = rendered(checked.content)
    assert not LIVE.search(html)
    assert html.endswith("<p>[… message shortened to fit the server's limit]</p>")


# --- class 2: link targets --------------------------------------------------------------
URLS_WITH_SYNTAX = [
    "@**all**", "https://ci.example/job/@**all**", "https://ci.example/x)(@**all**)",
    "https://ci.example/a b](@**everyone**)", "https://ci.example/`@**all**`",
    "https://ci.example/<@**all**>", "https://ci.example/#**general**", "https://ci.example/$$@**all**$$",
    "https://ci.example/[x](@**topic**)", "https://ci.example/\n\n@**all**", "https://ci.example/\x00@**all**",
    "https://ci.example/@_**Alice Smith**", "https://ci.example/**bold**(@**all**)",
    "https://ci.example/\u202e@**all**", "https://ci.example/job\\)@**all**",
]
URLS_NOT_HTTP = [
    "javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "javascript://x.example/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>", "DATA:text/html;base64,PHNjcmlwdD4=", "vbscript:msgbox(1)",
    "file:///etc/passwd", "ftp://files.example/x", "mailto:all@example.com", "//evil.example/x", "/relative/path",
    "job/12", "", "http://", "https:", "tel:+123", "\x00javascript:alert(1)", "java\tscript:alert(1)",
]
LABELS = [
    "app #42", "x](javascript:alert(1)) [y", "@**all** build", "#**general>topic**", "`code`](x)",
    "\u202eexe.txt", "na\u200bme", "a\nb\n\n@**all**", "[nested [brackets]]", "",
]
LINK_CASES = [(label, url) for url in URLS_WITH_SYNTAX + URLS_NOT_HTTP for label in ("app #42", LABELS[2])]
LINK_CASES += [(label, "https://ci.example/job/1") for label in LABELS]


def check_link(make_link: Callable[[str, str], str], label: str, url: str) -> None:
    markdown = make_link(label, url)
    assert_inert(markdown)
    html = rendered(markdown)
    hrefs = HREF.findall(html)
    assert len(hrefs) <= 1, html
    assert all(h.startswith(("http://", "https://")) or re.match("/[^/]", h) for h in hrefs), html
    if not re.match(r"(?i)\s*(https?://[^/\s]|/[^/])", url):
        assert not hrefs, html  # javascript:, data:, file:, //host: text, never a link
    for invisible in ("\u202e", "\u200b"):
        assert invisible not in re.sub(r"<[^>]+>", "", html).replace("@\u200b", "@"), html


@pytest.mark.parametrize("label,url", LINK_CASES, ids=[f"{lab[:12]!r}->{url[:30]!r}" for lab, url in LINK_CASES])
def test_link_targets_and_labels_stay_text(label, url):
    check_link(link, label, url)


CHANNEL_NAMES = ["general", "a*b", "x**y", "@**all**", "a>b", "`code`", "$$x$$", "line\nbreak", "\u202ebad"]
CHANNEL_CASES = [(stream, topic) for stream in CHANNEL_NAMES for topic in ("", "deploy", "@**all**", "t`")]


@pytest.mark.parametrize("stream,topic", CHANNEL_CASES, ids=[f"{s!r}>{t!r}" for s, t in CHANNEL_CASES])
def test_channel_links_hold_any_name(stream, topic):
    markdown = channel_link(stream, topic or None)
    assert_inert(markdown)
    html = rendered(markdown)
    assert "\u202e" not in html
    links = re.findall(r'<a class="stream(?:-topic)?"', html)
    linkable = stream in ("general", "\u202ebad", "line\nbreak") and topic in ("", "deploy")
    assert len(links) == (1 if linkable else 0), html


def test_a_good_link_is_still_a_link():
    assert rendered(link("build #7", "https://ci.example/job/a%20b/7/")) == (
        '<p><a href="https://ci.example/job/a%20b/7/">build #7</a></p>')


# --- class 3: fences inside quoted or fenced text ---------------------------------------
FENCE_LINES = [
    "~~~", "```", "````", "~~~~~~", "```python", "~~~ quote", "```quote", "````spoiler header", "~~~math",
    "```spoiler", "``` ", "~~~quoted", "`````", "```{.python}",
]
FENCE_PAYLOADS = {f"{line!r} line": f"step 1\n{line}\nstep 2 @**all**\n" for line in FENCE_LINES}
FENCE_PAYLOADS.update({
    "unbalanced pair": "```\n@**all**\n~~~\n@**topic**",
    "quote inside quote": "~~~ quote\ninner\n~~~ quote\ndeeper @**all**",
    "closing fence only": "text\n```\n",
})
_TRAC = TracLinks("https://trac.example")
FENCE_HELPERS: dict[str, Callable[[str], str]] = {
    "code_block": code_block,
    "code_block as quote": lambda text: code_block(text, "quote"),
    "code_block as math": lambda text: code_block(text, "math"),
    "code_block as .quote": lambda text: code_block(text, ".quote"),
    "code_block as {SPOILER}": lambda text: code_block(text, "{SPOILER}"),
    "quote": quote,
    "trac {{{#!quote}}}": lambda text: quote(to_markdown("{{{#!quote\n" + text + "\n}}}", _TRAC)),
    "trac {{{ }}}": lambda text: quote(to_markdown("{{{\n" + text + "\n}}}", _TRAC)),
    "trac description": lambda text: quote(to_markdown(text, _TRAC)),
}
FENCE_CASES = [(helper, payload) for helper in FENCE_HELPERS for payload in FENCE_PAYLOADS]


def check_fence(helper: Callable[[str], str], payload: str) -> None:
    assert_inert("Before.\n\n" + helper(payload))


@pytest.mark.parametrize("helper,payload", FENCE_CASES, ids=[f"{h}:{p}" for h, p in FENCE_CASES])
def test_quoted_and_fenced_text_cannot_open_a_block_that_swallows_what_follows(helper, payload):
    check_fence(FENCE_HELPERS[helper], FENCE_PAYLOADS[payload])


def test_quote_keeps_an_intended_code_block_inside():
    html = rendered(quote("see:\n```\ncode\n```\nend"))
    assert "<blockquote>" in html and "<code>code\n</code>" in html and "<p>end</p>" in html


# --- class 4: control, bidi and zero-width characters -----------------------------------
CONTROLS = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9b", "\x9f"]
INVISIBLES = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
              "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
HOSTILE_TOPICS = [f"build {c}fixed{c}" for c in CONTROLS + INVISIBLES]
HOSTILE_TOPICS += ["\x1b[31mFAILED\x1b[0m job", "r12\r\nnext line", "\u202etxt.exe", "tab\tand\nnewline"]
HOSTILE_BODIES = [f"log line {c} end" for c in CONTROLS] + ["\x1b[1;31merror\x1b[0m", "a\r\nb\rc", "nul\x00nul"]
HOSTILE_BODIES += [b"caf\xe9 \xff".decode("utf-8", "surrogateescape"), "lone \ud800 surrogate"]
_FORBIDDEN_IN_TOPIC = set(CONTROLS + INVISIBLES + ["\n", "\t", "\r"])


def _bad_content_char(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\t"


def check_topic(checked: Callable[[Message], Message], topic: str) -> None:
    msg = checked(Message.to_stream("ci", topic, "body"))
    assert not set(msg.topic) & _FORBIDDEN_IN_TOPIC, repr(msg.topic)
    visible = "".join(ch for ch in topic if ch not in _FORBIDDEN_IN_TOPIC)
    assert re.sub(r"[\s\ufffd]", "", msg.topic) == re.sub(r"\s", "", visible)  # nothing else lost
    assert checked(msg) == msg  # idempotent: what the outbox stores is what is sent


def check_body(checked: Callable[[Message], Message], body: str) -> None:
    msg = checked(Message.to_stream("ci\x00", "t", body))
    assert not any(_bad_content_char(ch) for ch in msg.content + (msg.stream or "")), repr(msg.content)
    json.dumps(msg.to_params()).encode("utf-8")  # what the client sends can be sent
    assert checked(msg) == msg


@pytest.mark.parametrize("topic", HOSTILE_TOPICS, ids=[repr(t) for t in HOSTILE_TOPICS])
def test_topics_lose_control_bidi_and_zero_width_characters(topic):
    check_topic(Message.checked, topic)


@pytest.mark.parametrize("body", HOSTILE_BODIES, ids=[repr(b) for b in HOSTILE_BODIES])
def test_content_loses_control_characters(body):
    check_body(Message.checked, body)


NAME_HELPERS: dict[str, Callable[[str], str]] = {
    "bold": bold, "italic": italic, "link label": lambda text: link(text, "https://x.example/1"),
    "mention": lambda text: mention(text, 7), "inline_code": inline_code,
}
NAME_CASES = [(helper, ch) for helper in NAME_HELPERS for ch in CONTROLS + INVISIBLES]


def check_name(helper: Callable[[str], str], ch: str) -> None:
    out = helper(f"Ali{ch}ce")
    out = out.replace("@\u200b", "@")  # the helpers' own neutralising space
    assert ch not in out, repr(out)


@pytest.mark.parametrize("helper,ch", NAME_CASES, ids=[f"{h}:{c!r}" for h, c in NAME_CASES])
def test_names_and_link_texts_lose_invisible_characters(helper, ch):
    check_name(NAME_HELPERS[helper], ch)


@pytest.mark.parametrize("topic", ["\u200b", "\u202e\u202c", "\ufeff \u2060"])
def test_a_topic_of_invisible_characters_only_is_refused_clearly(topic):
    with pytest.raises(MessageRejected, match="invisible characters only"):
        Message.to_stream("ci", topic, "body").checked()


def test_prose_keeps_its_zero_width_neutraliser():
    assert plain("@**all**") == "@\u200b\\*\\*all\\*\\*"
    msg = Message.to_stream("ci", "t", plain("@**all**")).checked()
    assert "\u200b" in msg.content and not LIVE.search(rendered(msg.content))


# --- property: random host text, every formatter, random cuts ---------------------------
_ALPHABET = st.sampled_from(
    list("`~*_@#>[]()|$\\:!<&- \n\tab") + ["@**", "**", "```", "~~~", "@_**", "#**", "all", "everyone",
                                            "topic", "channel", "stream", "quote", "spoiler", "math",
                                            "\x00", "\x1b", "\u202e", "\u200b", "http://", "javascript:"])
HOST_TEXT = st.lists(_ALPHABET, max_size=60).map("".join)
FORMATTERS: dict[str, Callable[[str], str]] = {
    "plain": plain, "bold": bold, "italic": italic, "inline_code": inline_code, "code_block": code_block,
    "quote": quote, "link": lambda text: link(text, "https://x.example/" + text),
    "link target": lambda text: link("label", text), "bullet_list": lambda text: bullet_list([plain(text)]),
    "code_block lang": lambda text: code_block(text, text[:8]),
    "trac": lambda text: quote(to_markdown(text, _TRAC)),
    "channel_link": lambda text: channel_link(text, text),
}


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.tuples(st.sampled_from(sorted(FORMATTERS)), HOST_TEXT), min_size=1, max_size=4),
       cut=st.integers(min_value=0, max_value=400))
def test_random_host_text_through_every_formatter_and_cut(texts, cut):
    message = "\n\n".join(f"{name}:\n" + FORMATTERS[name](text) for name, text in texts)
    assert_inert(message)
    shortened = truncate_markdown(message, cut)
    assert len(shortened) <= max(cut, 0) or len(message) <= cut
    assert_inert(shortened)
    checked = Message.to_stream("ci", "t", message + "\n\nend").checked()
    assert_inert(shorten_content(checked.content, cut + len(CONTENT_TRUNCATION_NOTE)))


if __name__ == "__main__":  # pragma: no cover - a quick look at the class sizes
    sys.stdout.write(f"cuts {len(CUT_CASES) * 2}, links {len(LINK_CASES)}, fences {len(FENCE_CASES)}, "
                     f"characters {len(HOSTILE_TOPICS) + len(HOSTILE_BODIES) + len(NAME_CASES)}\n")
