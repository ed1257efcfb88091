"""Zulip-flavoured Markdown for the dev server, on markdown-it-py.

A real Zulip server renders message content with Python-Markdown plus its own
extensions; clients (and our tests) read the HTML it gives back.  The dev
server has to give the same HTML for the syntax our integrations send, most of
all for what decides whether anyone is notified: mentions, and the fences and
code spans that stop text from being read as mentions.  So this module starts
from the maintained CommonMark parser markdown-it-py and adds small rules for
what Zulip does differently:

* fences (```` ``` ````/``~~~``) follow Zulip's fenced-block preprocessor: a
  block closes only on a line equal to its opening fence, ``quote``/``quoted``
  and ``spoiler`` blocks render their inside as Markdown (and a fence-looking
  line inside them opens a nested block), ``math`` blocks are never Markdown;
* inline code is Zulip's one-line backtick span, spaces kept;
* ``@**Name**``, ``@**Name|id**``, ``@_**Name**``, wildcards, ``#**channel**``
  and ``#**channel>topic**``, ``:emoji:`` and Unicode emoji, ``$$tex$$``;
* links: Zulip's scheme allow-list, bare URLs/domains/emails linkified, links
  into the realm made relative, no ``_emphasis_``, no reference links, no raw
  HTML, no image syntax, newlines are ``<br>``.

Out of scope (see ``tests/core/test_devserver_markdown.py`` for the list by
case): Pygments highlighting, KaTeX typesetting, image/video previews, time
stamps, emoticon translation, and Python-Markdown's own list and emphasis
quirks where they differ from CommonMark.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from typing import Callable, List, Optional, Protocol, Sequence, Tuple

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block.blockquote import blockquote as _commonmark_blockquote
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline import emphasis as _emphasis
from markdown_it.rules_inline.link import link as _commonmark_link
from markdown_it.token import Token

__all__ = ["Lookup", "render", "WILDCARDS", "STREAM_WILDCARDS", "TOPIC_WILDCARDS"]


class Lookup(Protocol):
    """What the renderer asks the organisation: who and which channel a name means."""

    def user_by_name_or_email(self, name: str) -> Optional[Tuple[int, str]]: ...  # (user_id, full_name)

    def user_by_id(self, user_id: int) -> Optional[Tuple[int, str]]: ...

    def stream_by_name(self, name: str) -> Optional[int]: ...  # stream_id


#: Zulip 9+ spellings of the channel wildcard (``channel`` is new in feature level 247).
STREAM_WILDCARDS = frozenset(["all", "everyone", "channel", "stream"])
TOPIC_WILDCARDS = frozenset(["topic"])
WILDCARDS = STREAM_WILDCARDS | TOPIC_WILDCARDS

# --- Zulip's regular expressions (zerver/lib/markdown, zerver/lib/mention) ------------
_BEFORE_MENTION_OK = " \t\n\r\f\v'\"({[/<"
_MENTION_RE = re.compile(r"@(?P<silent>_?)\*\*(?P<match>[^*]+)\*\*")
_STREAM_TOPIC_RE = re.compile(r"#\*\*(?P<stream>[^*>]+)>(?P<topic>[^*]+)\*\*")
_STREAM_RE = re.compile(r"#\*\*(?P<stream>[^*]+)\*\*")
_EMPTY_QUOTE_LINE = re.compile(r">\s*")
_ID_SYNTAX_RE = re.compile(r"(?P<full_name>.+)?\|(?P<user_id>\d+)$")
_BACKTICK_RE = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
_TEX_RE = re.compile(r"\$\$(?P<body>[^\n_$](\\\$|[^$\n])*)\$\$(?!\$)")
_DEL_RE = re.compile(r"~~([^~\n]+?)~~(?!~)")
_EMOJI_RE = re.compile(r":(?P<name>[\w\-+]+):")
_FENCE_RE = re.compile(
    r"""
    (?P<fence>^(?:~{3,}|`{3,}))
    [ ]*
    (?:
        \{?\.?
        (?P<lang>[a-zA-Z0-9_+\-./\#]+)
        [ ]*
        (?P<header>[^ ~`][^~`]*)?
        \}?
    )?
    $
    """,
    re.VERBOSE,
)

# Schemes Zulip's sanitize_url lets through (the rest leave a link as text).
_ALLOWED_SCHEMES = frozenset(
    "http https ftp file bitcoin geo im irc ircs magnet mailto matrix mms news nntp "
    "openpgp4fpr sip sms smsto ssh tel urn webcal wtai xmpp".split()
)

# Zulip builds its bare-domain linkifier from the full IANA list (minus a few that
# are also file extensions, like .py and .md); a short list of common ones serves here.
_TLDS = (
    "com org net edu gov mil int io co uk us eu de fr nl be ch at it es se no dk fi pl cz ru "
    "jp cn in au ca br mx info biz me tv cc ly gl gd mp to ws dev app ai xyz site online tech "
    "club news blog page"
).split()


def _web_link_regex() -> re.Pattern[str]:
    """Zulip's ``get_web_link_regex`` (URLs with up to six levels of nested parentheses)."""
    inner = r"[^\s()\"]*"
    group = r"""
        [^\s()\"]*?
        (?: \( %s \)
            [^\s()\"]*?
        )*
    """
    chunk = group
    for _ in range(6):
        chunk = chunk % (group,)
    chunk = chunk % (inner,)
    tlds = "|".join(sorted(_TLDS, key=len, reverse=True))
    return re.compile(
        rf"""
        (?<![^\s'"\(,:<])
        (?P<url>
            (?:(?:
                https?://[\w.:@-]+?
               |(?:(?:[\w-]+\.)+(?:{tlds}))
            )
            (?:/{chunk})?)
            | (?:[\w.-]+\@[\w.-]+\.[\w]+)
            | (?:bitcoin:[13][a-km-zA-HJ-NP-Z1-9]{{25,34}})
        )
        (?=[!:;\?\),\.\'\"\>]*(?:\Z|\s))
        """,
        re.VERBOSE,
    )


_WEB_LINK_RE = _web_link_regex()

# --- emoji: a small name -> codepoint table (Zulip has ~1800) ---------------------------
_EMOJI = {
    "smile": "1f642", "smiley": "1f603", "grinning": "1f600", "frown": "1f641",
    "heart": "2764", "poop": "1f4a9", "airplane": "2708", "cat": "1f408", "dog": "1f415",
    "rabbit": "1f407", "lemon": "1f34b", "alien": "1f47d", "robot": "1f916",
    "anchor": "2693", "division": "2797", "holiday_tree": "1f384", "up": "2b06",
    "avocado": "1f951", "kiwi": "1f95d", "selfie": "1f933", "gear": "2699", "comet": "2604",
    "gold": "1f947", "octopus": "1f419", "tada": "1f389", "thumbs_up": "1f44d",
    "+1": "1f44d", "thumbs_down": "1f44e", "check": "2705", "cross_mark": "274c",
    "warning": "26a0", "fire": "1f525", "rocket": "1f680", "bug": "1f41b",
    "construction": "1f6a7", "hourglass": "231b", "stop_sign": "1f6d1", "bell": "1f514",
    "lock": "1f512", "wrench": "1f527", "hammer": "1f528", "package": "1f4e6",
    "memo": "1f4dd", "link": "1f517", "eyes": "1f440", "wave": "1f44b", "clap": "1f44f",
    "thinking": "1f914", "sparkles": "2728", "star": "2b50", "zap": "26a1",
    "woman_shrugging": "1f937-200d-2640", "eye_in_speech_bubble": "1f441-200d-1f5e8",
    "hash": "0023-20e3",
}
_EMOJI_BY_CODEPOINT = {code: name for name, code in reversed(list(_EMOJI.items()))}
# A candidate emoji: one pictograph (or keycap base), modifiers, and ZWJ-joined parts.
_PICTO = r"[\u2190-\u2bff\U0001f000-\U0001faff]"
_UNICODE_EMOJI_RE = re.compile(
    rf"(?:{_PICTO}|[#*0-9]\ufe0f?\u20e3)[\ufe0f\U0001f3fb-\U0001f3ff]*"
    rf"(?:\u200d{_PICTO}[\ufe0f\U0001f3fb-\U0001f3ff]*)*"
)


def _escape_text(text: str) -> str:
    """Text nodes as Python-Markdown writes them: only ``&``, ``<`` and ``>`` escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_code(text: str) -> str:
    """Code blocks as Pygments writes them (quotes too)."""
    return _escape_text(text).replace('"', "&quot;").replace("'", "&#39;")


def _attr(value: str) -> str:
    return html.escape(value, quote=True).replace("&#x27;", "'")


def hash_util_encode(text: str) -> str:
    """Zulip's encoding of a channel or topic name inside a ``#narrow`` URL."""
    return urllib.parse.quote(text, safe="").replace(".", "%2E").replace("%", ".")


def _channel_href(stream_id: int, name: str) -> str:
    return f"/#narrow/channel/{stream_id}-{hash_util_encode(name.replace(' ', '-'))}"


def sanitize_url(url: str) -> Optional[str]:
    """Zulip's ``sanitize_url``: the URL to link to, or None to leave the text alone."""
    try:
        scheme, netloc, path, query, fragment = urllib.parse.urlsplit(url.replace(" ", "%20"))
    except ValueError:
        return ""
    if scheme == "" and netloc == "" and "@" in path:
        scheme = "mailto"
    elif scheme == "" and netloc == "" and path.startswith("/"):
        return urllib.parse.urlunsplit(("", "", path, query, fragment))
    elif (scheme, netloc, path, query) == ("", "", "", "") and fragment:
        return urllib.parse.urlunsplit(("", "", "", "", fragment))
    if not scheme:
        return sanitize_url("http://" + url)
    if scheme not in _ALLOWED_SCHEMES:
        return None
    return urllib.parse.urlunsplit((scheme, netloc, path, query, fragment))


# --- block rule: Zulip's fences -------------------------------------------------------
# ``wyzepal_notifier.formatting.blocks`` models the same fences to close them; this
# copy stays independent on purpose: the renderer is the oracle the formatting
# tests are checked against, and Zulip's fixture checks the renderer.
def _line(state: StateBlock, line: int) -> str:
    """The line as Zulip's preprocessor sees it (leading blanks and all)."""
    return state.src[state.bMarks[line] : state.eMarks[line]]


def _at_column_zero(state: StateBlock, line: int) -> bool:
    """Zulip finds fences in the raw text: only at a line's very start (not indented, not after ``>``)."""
    start = state.bMarks[line]
    return start == 0 or state.src[start - 1] == "\n"


def _kind(lang: Optional[str]) -> str:
    lang = (lang or "").lower()
    if lang in ("quote", "quoted"):
        return "quote"
    return lang if lang in ("spoiler", "math") else "code"


def _block_end(state: StateBlock, start: int, end: int, fence: str, kind: str) -> int:
    """The line that closes the block opened at ``start`` (``end`` if none does).

    As in Zulip's preprocessor, only a line equal to the fence closes a block;
    inside a quote or spoiler a fence-looking line opens a nested block first.
    """
    stack = [(fence, kind)]
    for line in range(start + 1, end):
        text = _line(state, line).rstrip()
        top_fence, top_kind = stack[-1]
        if text == top_fence:
            stack.pop()
            if not stack:
                return line
            continue
        if top_kind in ("quote", "spoiler"):
            match = _FENCE_RE.match(_line(state, line))
            if match:
                stack.append((match.group("fence"), _kind(match.group("lang"))))
    return end


def _zulip_fence(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    if not _at_column_zero(state, start):
        return False
    match = _FENCE_RE.match(_line(state, start))
    if not match:
        return False
    if silent:
        return True
    fence, lang, header = match.group("fence"), match.group("lang"), match.group("header")
    kind = _kind(lang)
    close = _block_end(state, start, end, fence, kind)
    if kind in ("quote", "spoiler"):
        _nested_block(state, start, close, kind, header)
    else:
        body = state.getLines(start + 1, close, state.sCount[start], False)
        lines = [line.rstrip() for line in body.split("\n")][: close - start - 1]
        token = state.push("math_block" if kind == "math" else "fence", "code", 0)
        token.info = "" if kind == "math" else (lang or "")
        token.content = "\n".join(lines)
        token.markup = fence
        token.map = [start, close]
    state.line = close + 1 if close < end else end
    return True


def _nested_block(state: StateBlock, start: int, close: int, kind: str, header: Optional[str]) -> None:
    """A quote or spoiler: its lines are parsed as Markdown inside the element."""
    old_parent, old_max = state.parentType, state.lineMax
    state.parentType, state.lineMax = "blockquote", close
    if kind == "quote":
        state.push("blockquote_open", "blockquote", 1).map = [start, close]
    else:
        state.push("spoiler_open", "div", 1).map = [start, close]
        if header and header.strip():
            state.push("paragraph_open", "p", 1)
            inline = state.push("inline", "", 0)
            inline.content, inline.map, inline.children = header.strip(), [start, start + 1], []
            state.push("paragraph_close", "p", -1)
        state.push("spoiler_content", "div", 0)
    state.md.block.tokenize(state, start + 1, close)
    state.push("blockquote_close" if kind == "quote" else "spoiler_close", "blockquote", -1)
    state.parentType, state.lineMax = old_parent, old_max


def _blockquote(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Zulip's blockquotes: lines holding only ``>`` make none (``>`` alone is text)."""
    line = start
    while line < end and not state.isEmpty(line):
        if not _EMPTY_QUOTE_LINE.fullmatch(state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]):
            return _commonmark_blockquote(state, start, end, silent)
        line += 1
    return False


# --- inline rules ---------------------------------------------------------------------
def _mention_allowed_here(state: StateInline) -> bool:
    return state.pos == 0 or state.src[state.pos - 1] in _BEFORE_MENTION_OK


def _backticks(state: StateInline, silent: bool) -> bool:
    """Zulip's code span: on one line, spaces kept; an unmatched run stays text."""
    if state.src[state.pos] != "`":
        return False
    match = _BACKTICK_RE.match(state.src, state.pos)
    if not match:  # (``.`` stops at a new line: a span is one line, as in Zulip)
        run = len(state.src[state.pos :]) - len(state.src[state.pos :].lstrip("`"))
        if not silent:
            state.pending += "`" * run
        state.pos += run
        return True
    if not silent:
        token = state.push("code_inline", "code", 0)
        token.content = match.group(2)
        token.markup = match.group(1)
    state.pos = match.end()
    return True


def _mention(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "@" or not _mention_allowed_here(state):
        return False
    match = _MENTION_RE.match(state.src, state.pos)
    if not match:
        return False
    found = _resolve_mention(match.group("match"), state.env.get("lookup"))
    if found is None:
        return False  # Zulip: not a user, so the text renders as it is
    if not silent:
        css, user_id, name = found
        is_silent = match.group("silent") == "_"
        token = state.push("mention", "span", 0)
        token.attrs = {"class": css + (" silent" if is_silent else "")}
        if user_id is not None:
            token.attrs["data-user-id"] = user_id
        token.content = name if is_silent else "@" + name
    state.pos = match.end()
    return True


def _resolve_mention(text: str, lookup: Optional[Lookup]) -> Optional[Tuple[str, Optional[str], str]]:
    """(class, data-user-id, name) for what ``@**text**`` means, or None for nobody."""
    if text in STREAM_WILDCARDS:
        return "user-mention channel-wildcard-mention", "*", text
    if text in TOPIC_WILDCARDS:
        return "topic-mention", None, text
    if lookup is None:
        return None
    by_id = _ID_SYNTAX_RE.match(text)
    if by_id:
        user = lookup.user_by_id(int(by_id.group("user_id")))
        if user is None or (by_id.group("full_name") and user[1] != by_id.group("full_name")):
            return None
    else:
        user = lookup.user_by_name_or_email(text)
    if user is None:
        return None
    return "user-mention", str(user[0]), user[1]


def _channel(state: StateInline, silent: bool) -> bool:
    lookup = state.env.get("lookup")
    if lookup is None or state.src[state.pos] != "#" or not _mention_allowed_here(state):
        return False
    topic_match = _STREAM_TOPIC_RE.match(state.src, state.pos)
    match = topic_match or _STREAM_RE.match(state.src, state.pos)
    if not match:
        return False
    name = match.group("stream")
    stream_id = lookup.stream_by_name(name)
    if stream_id is None:
        return False
    if not silent:
        token = state.push("channel_link", "a", 0)
        href = _channel_href(stream_id, name)
        if topic_match:
            topic = topic_match.group("topic")
            token.attrs = {"class": "stream-topic", "data-stream-id": str(stream_id),
                           "href": f"{href}/topic/{hash_util_encode(topic)}"}
            token.content = f"#{name} > {topic}"
        else:
            token.attrs = {"class": "stream", "data-stream-id": str(stream_id), "href": href}
            token.content = f"#{name}"
    state.pos = match.end()
    return True


def _tex(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "$" or (state.pos and state.src[state.pos - 1] == "$"):
        return False
    match = _TEX_RE.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        state.push("math_inline", "span", 0).content = match.group("body")
    state.pos = match.end()
    return True


def _strikethrough(state: StateInline, silent: bool) -> bool:
    """Zulip's ``~~struck~~``: one line, spaces inside allowed, Markdown inside rendered."""
    start = state.pos
    if not state.src.startswith("~~", start) or (start and state.src[start - 1] == "~"):
        return False
    match = _DEL_RE.match(state.src, start)
    if not match:
        return False
    if not silent:
        old_max = state.posMax
        state.push("del_open", "del", 1)
        state.pos, state.posMax = start + 2, match.end() - 2
        state.md.inline.tokenize(state)
        state.push("del_close", "del", -1)
        state.posMax = old_max
    state.pos = match.end()
    return True


def _emoji(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != ":":
        return False
    match = _EMOJI_RE.match(state.src, state.pos)
    if not match or (match.group("name") not in _EMOJI and match.group("name") != "zulip"):
        return False
    if not silent:
        state.push("emoji", "span", 0).content = match.group("name")
    state.pos = match.end()
    return True


def _link(state: StateInline, silent: bool) -> bool:
    """CommonMark links, except where Zulip's earlier patterns win.

    Zulip runs its mention and channel patterns over the whole text before its
    link pattern, so ``[x](@**all**)`` notifies everyone: a link whose target
    holds a mention Zulip would render is not a link here either.
    """
    start, limit = state.pos, state.posMax
    if not _commonmark_link(state, True):
        return False
    end, state.pos, state.posMax = state.pos, start, limit
    label_end = state.md.helpers.parseLinkLabel(state, start, True)
    target = state.src[label_end + 1 : end]
    if _target_has_live_syntax(target, state.env.get("lookup")):
        return False
    return _commonmark_link(state, silent)


def _target_has_live_syntax(target: str, lookup: Optional[Lookup]) -> bool:
    for match in _MENTION_RE.finditer(target):
        before = target[match.start() - 1] if match.start() else "("
        if before in _BEFORE_MENTION_OK and _resolve_mention(match.group("match"), lookup):
            return True
    if lookup is None:
        return False
    for match in _STREAM_RE.finditer(target):
        before = target[match.start() - 1] if match.start() else "("
        name = match.group("stream").split(">")[0]
        if before in _BEFORE_MENTION_OK and lookup.stream_by_name(name) is not None:
            return True
    return False


def _no_underscore_emphasis(state: StateInline, silent: bool) -> bool:
    """Zulip renders ``_x_`` and ``__x__`` literally (too many snake_case names)."""
    if state.src[state.pos] == "_":
        return False
    return _emphasis.tokenize(state, silent)


# --- core rules: text-level passes after inline parsing --------------------------------
def _split_text_tokens(state, find: Callable[[str], List[Tuple[int, int, Token]]]) -> None:  # noqa: ANN001
    """Replace matches inside plain text tokens (not inside links) with new tokens."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        out: List[Token] = []
        in_link = 0
        for token in block.children:
            if token.type == "link_open":
                in_link += 1
            elif token.type == "link_close":
                in_link -= 1
            if token.type != "text" or in_link:
                out.append(token)
                continue
            pos = 0
            for begin, stop, replacement in find(token.content):
                if begin > pos:
                    out.append(_text(token.content[pos:begin]))
                out.extend(replacement if isinstance(replacement, list) else [replacement])
                pos = stop
            out.append(token if pos == 0 else _text(token.content[pos:]))
        block.children = [t for t in out if t.type != "text" or t.content]


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _find_links(text: str) -> list:
    found = []
    for match in _WEB_LINK_RE.finditer(text):
        url = match.group("url")
        href = sanitize_url(url)
        if href is None:
            continue
        opening = Token("link_open", "a", 1)
        opening.attrs = {"href": href}
        found.append((match.start("url"), match.end("url"), [opening, _text(url), Token("link_close", "a", -1)]))
    return found


def _find_unicode_emoji(text: str) -> list:
    found = []
    for match in _UNICODE_EMOJI_RE.finditer(text):
        code = "-".join(f"{ord(c):04x}" for c in match.group(0) if c != "\ufe0f")
        name = _EMOJI_BY_CODEPOINT.get(code)
        if name:
            token = Token("emoji", "span", 0)
            token.content = name
            found.append((match.start(), match.end(), token))
    return found


def _one_line_emphasis(state) -> None:  # noqa: ANN001
    """Zulip's ``**strong**`` and ``*em*`` stay on one line: across a line break they are text."""
    for block in state.tokens:
        children = block.children or []
        for index, token in enumerate(children):
            if token.type not in ("em_open", "strong_open"):
                continue
            close = _close_of(children, index)
            if close is not None and any(t.type in ("softbreak", "hardbreak") for t in children[index:close]):
                for edge in (token, children[close]):
                    edge.type, edge.tag, edge.nesting, edge.content = "text", "", 0, edge.markup


def _close_of(children: Sequence[Token], start: int) -> Optional[int]:
    kind, depth = children[start].type[: -len("_open")], 0
    for index in range(start, len(children)):
        if children[index].type in (kind + "_open", kind + "_close"):
            depth += children[index].nesting
            if depth == 0:
                return index
    return None


def _strong_outside(state) -> None:  # noqa: ANN001
    """``***x***`` is ``<strong><em>`` in Python-Markdown (CommonMark nests it the other way)."""
    for block in state.tokens:
        children = block.children or []
        for index in range(len(children) - 1):
            first, second = children[index], children[index + 1]
            if first.type == "em_open" and second.type == "strong_open":
                close = _matching_close(children, index + 1, "strong_close")
                if close is not None and close + 1 < len(children) and children[close + 1].type == "em_close":
                    children[index], children[index + 1] = second, first
                    children[close], children[close + 1] = children[close + 1], children[close]


def _matching_close(children: Sequence[Token], start: int, kind: str) -> Optional[int]:
    depth = 0
    for index in range(start, len(children)):
        depth += children[index].nesting if children[index].type.startswith("strong") else 0
        if children[index].type == kind and depth == 0:
            return index
    return None


def _links(state) -> None:  # noqa: ANN001
    """Zulip's link changes: local links relative, an empty label shows the URL."""
    _split_text_tokens(state, _find_links)
    _split_text_tokens(state, _find_unicode_emoji)
    for block in state.tokens:
        children = block.children or []
        for index, token in enumerate(children):
            if token.type != "link_open":
                continue
            href = token.attrGet("href") or ""
            realm_url = state.env.get("realm_url")
            if realm_url and href.startswith((realm_url + "/#", realm_url + "/user_uploads/")):
                token.attrSet("href", href[len(realm_url) + 1 :])
            label = children[index + 1 : _link_end(children, index)]
            if all(t.type == "text" and not t.content.strip() for t in label):
                for t in label:
                    t.content = ""
                children.insert(index + 1, _text(token.attrGet("href") or ""))



def _link_end(children: Sequence[Token], start: int) -> int:
    for index in range(start + 1, len(children)):
        if children[index].type == "link_close":
            return index
    return len(children)


# --- rendering ------------------------------------------------------------------------
def _render_code(_self, tokens: Sequence[Token], idx: int, options, env) -> str:  # noqa: ANN001
    token = tokens[idx]
    lang = token.info.strip() if token.type == "fence" else ""
    # Each line's trailing blanks go, and (Pygments' stripnl) blank lines at either end.
    content = "\n".join(line.rstrip() for line in token.content.split("\n")).strip("\n")
    attr = f' data-code-language="{_attr(lang)}"' if lang else ""
    body = _escape_code(content)
    return f'<div class="codehilite"{attr}><pre><span></span><code>{body}\n</code></pre></div>\n'


def _render_math(tex: str, display: bool) -> str:
    """KaTeX's outer structure with the TeX source kept in its annotation (not typeset)."""
    mode = ' display="block"' if display else ""
    inner = (
        f'<span class="katex"><span class="katex-mathml"><math xmlns="http://www.w3.org/1998/Math/MathML"{mode}>'
        f'<semantics><annotation encoding="application/x-tex">{_escape_text(tex)}</annotation>'
        "</semantics></math></span></span>"
    )
    return f'<p><span class="katex-display">{inner}</span></p>\n' if display else inner


def _render_emoji(name: str) -> str:
    if name == "zulip":
        return ('<img alt=":zulip:" class="emoji" '
                'src="/static/generated/emoji/images/emoji/unicode/zulip.png" title="zulip">')
    label = name.replace("_", " ")
    return (f'<span aria-label="{label}" class="emoji emoji-{_EMOJI[name]}" role="img" '
            f'title="{label}">:{name}:</span>')


def _render_tag(_self, tokens: Sequence[Token], idx: int, options, env) -> str:  # noqa: ANN001
    token = tokens[idx]
    attrs = "".join(f' {key}="{_attr(str(value))}"' for key, value in token.attrs.items())
    return f"<{token.tag}{attrs}>{_escape_text(token.content)}</{token.tag}>"


def _renderers() -> dict:
    fixed = {
        "spoiler_open": '<div class="spoiler-block"><div class="spoiler-header">\n',
        "spoiler_content": '</div><div class="spoiler-content" aria-hidden="true">\n',
        "spoiler_close": "</div></div>\n",
    }
    rules = {key: (lambda *_, html_=value: html_) for key, value in fixed.items()}
    rules.update(
        fence=_render_code,
        code_block=_render_code,
        text=lambda _self, tokens, idx, *_: _escape_text(tokens[idx].content),
        code_inline=lambda _self, tokens, idx, *_: f"<code>{_escape_text(tokens[idx].content)}</code>",
        math_block=lambda _self, tokens, idx, *_: _render_math(tokens[idx].content, True),
        math_inline=lambda _self, tokens, idx, *_: _render_math(tokens[idx].content, False),
        emoji=lambda _self, tokens, idx, *_: _render_emoji(tokens[idx].content),
        mention=_render_tag,
        channel_link=_render_tag,
    )
    return rules


def _validate_link(url: str) -> bool:
    return bool(url)


def _normalize_link(url: str) -> str:
    return sanitize_url(url.strip()) or ""


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"breaks": True, "html": False, "xhtmlOut": False})
    md.enable(["table"])
    md.disable(["reference", "html_block", "html_inline", "autolink", "image", "fence", "backticks",
                "strikethrough"])
    md.block.ruler.before("fence", "zulip_fence", _zulip_fence,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.block.ruler.at("blockquote", _blockquote, {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.inline.ruler.at("emphasis", _no_underscore_emphasis)
    md.inline.ruler.at("link", _link)
    md.inline.ruler.before("escape", "zulip_backticks", _backticks)
    md.inline.ruler.before("emphasis", "zulip_mention", _mention)
    md.inline.ruler.before("emphasis", "zulip_tex", _tex)
    md.inline.ruler.before("emphasis", "zulip_channel", _channel)
    md.inline.ruler.before("emphasis", "zulip_emoji", _emoji)
    md.inline.ruler.before("emphasis", "zulip_strikethrough", _strikethrough)
    md.core.ruler.after("inline", "zulip_links", _links)
    md.core.ruler.after("zulip_links", "zulip_one_line_emphasis", _one_line_emphasis)
    md.core.ruler.after("zulip_one_line_emphasis", "zulip_strong_outside", _strong_outside)
    md.validateLink = _validate_link
    md.normalizeLink = _normalize_link
    for name, rule in _renderers().items():
        md.add_render_rule(name, rule)
    return md


def render(content: str, lookup: Optional[Lookup] = None, *, realm_url: Optional[str] = None) -> str:
    """``content`` as the HTML a Zulip server stores in ``rendered_content``.

    ``lookup`` resolves user mentions and channel links; without it only
    wildcard mentions render (as Zulip does with no organisation to ask).
    ``realm_url`` (e.g. ``http://localhost:9991``) makes links into the
    organisation relative, as Zulip does.
    """
    if not content.strip():
        return ""
    env = {"lookup": lookup, "realm_url": realm_url.rstrip("/") if realm_url else None}
    rendered = _PARSER.render(content, env)
    return rendered.rstrip("\n")


_PARSER = _parser()
