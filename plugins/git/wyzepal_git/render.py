"""What a push looks like in the chat: one message per ref and configuration.

Branch and tag names, titles and authors are host text, so they go through the
library's safe helpers; a force push is said plainly and mentions nobody.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Optional

from wyzepal_notifier import Message
from wyzepal_notifier.formatting import bold, inline_code, italic, link, plain
from wyzepal_notifier.scripthook import capped, fill

from .repository import Commit, short

Event = Mapping[str, Any]


def render(conf: Mapping[str, Any], event: Event) -> Optional[Message]:
    """The message for ``event`` in the channel and topic ``conf`` names."""
    describe = DESCRIPTIONS.get(event["type"])
    if describe is None:
        return None
    values = {"repo": event["repository"], "branch": event.get("branch") or event.get("tag")}
    return Message.to_stream(conf["STREAM_FOR_NOTIFICATIONS"], fill(topic_template(conf, event), values),
                             describe(conf, event))


def topic_template(conf: Mapping[str, Any], event: Event) -> str:
    """A configuration's own topic applies to all it matches; else TOPIC for branches, TAG_TOPIC for tags."""
    own = getattr(conf, "own_settings", {})
    if "TOPIC" in own:
        return own["TOPIC"]
    return conf["TAG_TOPIC"] if "tag" in event else conf["TOPIC"]


def push(conf: Mapping[str, Any], event: Event) -> str:
    count = event["commit_count"]
    what = f"{count} commit{'' if count == 1 else 's'}"
    where = f"branch {_name(event['branch'])} in {_name(event['repository'])}"
    head = (f"{_who(event)} pushed {what} to {where}:" if event["pusher"]
            else f"{what} {'was' if count == 1 else 'were'} pushed to {where}:")
    return head + "\n" + commit_list(conf, event)


def force_push(conf: Mapping[str, Any], event: Event) -> str:
    where = f"branch {_name(event['branch'])} in {_name(event['repository'])}"
    removed = event["removed_count"]
    history = (f"history rewritten: {inline_code(short(event['old']))} → {_sha(conf, event, event['new'])}, "
               f"{removed} commit{'' if removed == 1 else 's'} removed")
    head = (f"{_who(event)} force-pushed {where} ({history})." if event["pusher"]
            else f"{where[0].upper()}{where[1:]} was force-pushed ({history}).")
    count = event["commit_count"]
    if not count:
        return head
    return f"{head} {count} new commit{'' if count == 1 else 's'}:\n" + commit_list(conf, event)


def branch_created(conf: Mapping[str, Any], event: Event) -> str:
    branch, repo, at = _name(event["branch"]), _name(event["repository"]), _sha(conf, event, event["new"])
    head = (f"{_who(event)} created branch {branch} in {repo} at {at}" if event["pusher"]
            else f"Branch {branch} was created in {repo} at {at}")
    count = event["commit_count"]
    if not count:
        return head + "."
    return f"{head} with {count} new commit{'' if count == 1 else 's'}:\n" + commit_list(conf, event)


def branch_deleted(conf: Mapping[str, Any], event: Event) -> str:
    branch, repo, was = _name(event["branch"]), _name(event["repository"]), inline_code(short(event["old"]))
    if event["pusher"]:
        return f"{_who(event)} deleted branch {branch} in {repo} (it was at {was})."
    return f"Branch {branch} was deleted in {repo} (it was at {was})."


def tag_created(conf: Mapping[str, Any], event: Event) -> str:
    tag, repo, at = _name(event["tag"]), _name(event["repository"]), _sha(conf, event, event["commit"])
    head = (f"{_who(event)} created tag {tag} in {repo} at {at}" if event["pusher"]
            else f"Tag {tag} was created in {repo} at {at}")
    return head + (f": {plain(event['tag_title'])}" if event.get("tag_title") else ".")


def tag_moved(conf: Mapping[str, Any], event: Event) -> str:
    tag, repo, to = _name(event["tag"]), _name(event["repository"]), _sha(conf, event, event["commit"])
    was = inline_code(short(event["old_commit"]))
    if event["pusher"]:
        return f"{_who(event)} moved tag {tag} in {repo} from {was} to {to}."
    return f"Tag {tag} in {repo} was moved from {was} to {to}."


def tag_deleted(conf: Mapping[str, Any], event: Event) -> str:
    tag, repo, was = _name(event["tag"]), _name(event["repository"]), inline_code(short(event["old_commit"]))
    if event["pusher"]:
        return f"{_who(event)} deleted tag {tag} in {repo} (it was at {was})."
    return f"Tag {tag} was deleted in {repo} (it was at {was})."


def commit_list(conf: Mapping[str, Any], event: Event) -> str:
    """One line per commit (hash with link, title, author), capped with "and N more"."""
    shown: list[Commit] = event["commits"][: conf["MAX_COMMITS"]]
    lines = [f"{_sha(conf, event, c.sha)} {plain(c.title) if c.title.strip() else italic('(no message)')}"
             f" ({plain(c.author)})" for c in shown]
    return capped(lines, event["commit_count"], "commit")


def _sha(conf: Mapping[str, Any], event: Event, sha: str) -> str:
    template = conf.get("COMMIT_URL")
    if not template:
        return inline_code(short(sha))
    return link(short(sha), fill(template, {"sha": sha, "short": short(sha), "repo": event["repository"]}))


def _who(event: Event) -> str:
    return bold(event["pusher"])


def _name(text: str) -> str:
    return inline_code(text)


DESCRIPTIONS: dict[str, Callable[[Mapping[str, Any], Event], str]] = {
    "push": push,
    "force_push": force_push,
    "branch_created": branch_created,
    "branch_deleted": branch_deleted,
    "tag_created": tag_created,
    "tag_moved": tag_moved,
    "tag_deleted": tag_deleted,
}
