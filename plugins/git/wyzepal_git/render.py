"""What a push looks like in the chat: one entry per ref and configuration.

Branch and tag names, titles, tag messages and authors are host text, so they
go through the library's safe helpers; a force push is said plainly and
mentions nobody. Each configuration sees only the commits its filters let
through (``EXCLUDE_MERGES``, ``PATHS``/``EXCLUDE_PATHS``): those are listed and
counted, the others do not exist for it. Entries for one channel and topic are
joined into one message afterwards (``digest``).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Sequence

from wyzepal_notifier import Message
from wyzepal_notifier.formatting import bold, inline_code, italic, link, plain, quote
from wyzepal_notifier.scripthook import capped, fill

from .paths import PathFilter
from .repository import Commit, FileChange, short

Event = Mapping[str, Any]
Conf = Mapping[str, Any]


def render(conf: Conf, event: Event) -> Optional[Message]:
    """The message for ``event`` in the channel and topic ``conf`` names, or None when it has nothing to say."""
    describe = DESCRIPTIONS.get(event["type"])
    if describe is None:
        return None
    content = describe(conf, event)
    if content is None:
        return None
    values = {"repo": event["repository"], "branch": event.get("branch") or event.get("tag")}
    return Message.to_stream(conf["STREAM_FOR_NOTIFICATIONS"], fill(topic_template(conf, event), values), content)


def topic_template(conf: Conf, event: Event) -> str:
    """A configuration's own topic applies to all it matches; else TOPIC for branches, TAG_TOPIC for tags."""
    own = getattr(conf, "own_settings", {})
    if "TOPIC" in own:
        return own["TOPIC"]
    return conf["TAG_TOPIC"] if "tag" in event else conf["TOPIC"]


def visible(conf: Conf, commits: Sequence[Commit]) -> list[Commit]:
    """The commits this configuration may show: no merges if asked, none touching only excluded paths."""
    paths = PathFilter.of(conf)
    return [c for c in commits if not (conf["EXCLUDE_MERGES"] and c.is_merge) and paths.shows(c)]


def push(conf: Conf, event: Event) -> Optional[str]:
    commits = visible(conf, event["commits"])
    if not commits:  # everything pushed is hidden from this destination (or only merges)
        return None
    what = _count(len(commits))
    where = f"branch {_name(event['branch'])} in {_name(event['repository'])}"
    head = (f"{_who(event)} pushed {what} to {where}" if event["pusher"]
            else f"{what} {'was' if len(commits) == 1 else 'were'} pushed to {where}")
    return head + _compare(conf, event) + ":\n" + commit_list(conf, event, commits)


def force_push(conf: Conf, event: Event) -> str:
    """The rewrite, then what the branch lost (discarded: gone; omitted: still on other refs), then what it gained."""
    where = f"branch {_name(event['branch'])} in {_name(event['repository'])}"
    history = f"history rewritten: {inline_code(short(event['old']))} → {_sha(conf, event, event['new'])}"
    head = (f"{_who(event)} force-pushed {where}" if event["pusher"]
            else f"{where[0].upper()}{where[1:]} was force-pushed")
    parts = [f"{head} ({history}){_compare(conf, event)}."]
    removed = visible(conf, event["removed"])
    discarded = [c for c in removed if c.sha in event["discarded"]]
    omitted = [c for c in removed if c.sha not in event["discarded"]]
    if discarded:
        parts.append(f"{_count(len(discarded))} discarded (no longer on any branch or tag):\n"
                     + commit_list(conf, event, discarded, linked=False))
    if omitted:
        parts.append(f"{_count(len(omitted))} omitted from this branch (still on other branches or tags):\n"
                     + commit_list(conf, event, omitted))
    added = visible(conf, event["commits"])
    if added:
        parts.append(f"{_count(len(added), 'new commit')}:\n" + commit_list(conf, event, added))
    return "\n\n".join(parts)


def branch_created(conf: Conf, event: Event) -> str:
    branch, repo, at = _name(event["branch"]), _name(event["repository"]), _sha(conf, event, event["new"])
    head = (f"{_who(event)} created branch {branch} in {repo} at {at}" if event["pusher"]
            else f"Branch {branch} was created in {repo} at {at}")
    commits = visible(conf, event["commits"])
    if not commits:
        return head + "."
    return f"{head} with {_count(len(commits), 'new commit')}:\n" + commit_list(conf, event, commits)


def branch_deleted(conf: Conf, event: Event) -> str:
    branch, repo, was = _name(event["branch"]), _name(event["repository"]), inline_code(short(event["old"]))
    if event["pusher"]:
        return f"{_who(event)} deleted branch {branch} in {repo} (it was at {was})."
    return f"Branch {branch} was deleted in {repo} (it was at {was})."


def tag_created(conf: Conf, event: Event) -> str:
    tag, repo, at = _name(event["tag"]), _name(event["repository"]), _sha(conf, event, event["commit"])
    head = (f"{_who(event)} created tag {tag} in {repo} at {at}" if event["pusher"]
            else f"Tag {tag} was created in {repo} at {at}")
    if event.get("tag_message") is None:
        return head + "."
    return head + ":\n" + annotation(conf, event)


def tag_moved(conf: Conf, event: Event) -> str:
    tag, repo, to = _name(event["tag"]), _name(event["repository"]), _sha(conf, event, event["commit"])
    was = inline_code(short(event["old_commit"]))
    if event["pusher"]:
        head = f"{_who(event)} moved tag {tag} in {repo} from {was} to {to}"
    else:
        head = f"Tag {tag} in {repo} was moved from {was} to {to}"
    if event.get("tag_message") is None:
        return head + "."
    return head + ":\n" + annotation(conf, event)


def annotation(conf: Conf, event: Event) -> str:
    """An annotated tag's message, quoted, and its short log since the previous annotated tag."""
    message = event["tag_message"].strip()
    text = quote(message) if message else italic("(no message)")
    if "shortlog" not in event or not conf["TAG_SHORTLOG"]:
        return text
    commits = visible(conf, event["shortlog"])
    hidden = len(event["shortlog"]) - len(commits)
    total = event["shortlog_count"] - hidden
    if not total:
        return text
    since = (f"since {_name(event['previous_tag'])}" if event["previous_tag"]
             else "up to this tag (no earlier annotated tag on its line)")
    shown = commits[-conf["MAX_COMMITS"]:]  # the latest ones: what this release brings
    return f"{text}\n{_count(total)} {since}:\n" + capped([commit_line(conf, event, c) for c in shown], total,
                                                          "commit")


def tag_deleted(conf: Conf, event: Event) -> str:
    tag, repo, was = _name(event["tag"]), _name(event["repository"]), inline_code(short(event["old_commit"]))
    if event["pusher"]:
        return f"{_who(event)} deleted tag {tag} in {repo} (it was at {was})."
    return f"Tag {tag} was deleted in {repo} (it was at {was})."


def commit_list(conf: Conf, event: Event, commits: Sequence[Commit], *, linked: bool = True) -> str:
    """One line per commit (hash with link, title, author, diffstat), capped with "and N more"."""
    shown = commits[: conf["MAX_COMMITS"]]
    return capped([commit_line(conf, event, c, linked=linked) for c in shown], len(commits), "commit")


def commit_line(conf: Conf, event: Event, commit: Commit, *, linked: bool = True) -> str:
    sha = _sha(conf, event, commit.sha) if linked else inline_code(short(commit.sha))
    title = plain(commit.title) if commit.title.strip() else italic("(no message)")
    text = f"{sha} {title} ({plain(commit.author)})"
    if conf["DIFFSTAT"] and commit.files is not None:
        stat = diffstat(PathFilter.of(conf).files(commit), conf["MAX_DIFFSTAT_FILES"])
        if stat:
            text += "\n  " + stat
    return text


def diffstat(files: Sequence[FileChange], limit: int) -> str:
    """``2 files, +12 −3: `a.py` +10 −3, `b.md` +2 −0``, the first ``limit`` files by name, then "and N more"."""
    if not files:
        return ""
    added = sum(f.added or 0 for f in files)
    removed = sum(f.removed or 0 for f in files)
    shown = [f"{inline_code(f.path)} " + ("binary" if f.added is None else f"+{f.added} −{f.removed}")
             for f in files[:limit]]
    more = len(files) - len(shown)
    tail = f", and {more} more file{'' if more == 1 else 's'}" if more > 0 else ""
    return (f"{len(files)} file{'' if len(files) == 1 else 's'} changed, +{added} −{removed}: "
            + ", ".join(shown) + tail)


def _compare(conf: Conf, event: Event) -> str:
    template = conf.get("COMPARE_URL")
    if not template:
        return ""
    values = {"old": event["old"], "new": event["new"], "old_short": short(event["old"]),
              "new_short": short(event["new"]), "repo": event["repository"], "branch": event.get("branch")}
    return " (" + link("compare", fill(template, values)) + ")"


def _count(count: int, noun: str = "commit") -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _sha(conf: Conf, event: Event, sha: str) -> str:
    template = conf.get("COMMIT_URL")
    if not template:
        return inline_code(short(sha))
    return link(short(sha), fill(template, {"sha": sha, "short": short(sha), "repo": event["repository"]}))


def _who(event: Event) -> str:
    return bold(event["pusher"])


def _name(text: str) -> str:
    return inline_code(text)


DESCRIPTIONS: dict[str, Callable[[Conf, Event], Optional[str]]] = {
    "push": push,
    "force_push": force_push,
    "branch_created": branch_created,
    "branch_deleted": branch_deleted,
    "tag_created": tag_created,
    "tag_moved": tag_moved,
    "tag_deleted": tag_deleted,
}
