"""Where a TracLink (``wiki:Page``, ``ticket:12``, ``#12``, ``r42``, a URL) points."""
from __future__ import annotations

import re
from typing import Optional

from ..links import TracLinks

_URL = re.compile(r"^(https?|ftp|mailto):", re.IGNORECASE)
_REV = re.compile(r"^r?(\d+)$")


def resolve(target: str, links: TracLinks) -> Optional[str]:
    """The address of a link target, or None when it is not one we know."""
    if _URL.match(target):
        return target
    if target.startswith("#") and target[1:].isdigit():
        return links.ticket(target[1:])
    revision = _REV.match(target)
    if revision:
        return links.changeset(revision.group(1))
    realm, sep, rest = target.partition(":")
    if not sep or not rest:
        return None
    return _resolve_realm(realm.lower(), rest, links)


def _resolve_realm(realm: str, rest: str, links: TracLinks) -> Optional[str]:
    if realm in ("ticket", "bug", "issue") and rest.lstrip("#").isdigit():
        return links.ticket(rest.lstrip("#"))
    if realm == "comment":
        number, _, ticket = rest.partition(":ticket:")
        if number.isdigit() and ticket.isdigit():
            return links.ticket(ticket, comment=number)
        return None
    if realm == "wiki":
        page, _, anchor = rest.partition("#")
        url = links.wiki(page)
        return f"{url}#{anchor}" if anchor else url
    if realm in ("changeset", "cs"):
        rev, _, repository = rest.partition("/")
        return links.changeset(rev.lstrip("r"), repository)
    if realm == "milestone":
        return links.milestone(rest)
    if realm == "report" and rest.isdigit():
        return links.report(rest)
    if realm in ("source", "browser", "repos"):
        return links.source(rest)
    return None
