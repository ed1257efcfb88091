"""Addresses of Trac pages, built from the environment's base URL.

Events carry the base URL as a string (not Trac's ``Href``) so that an event
held back while the config is broken can be rendered later, outside a request.
"""
from __future__ import annotations

from typing import Optional, Union
from urllib.parse import quote, urlencode

# Trac's own Href keeps these unescaped in paths.
_PATH_SAFE = "/!~*'()"


class TracLinks:
    """``TracLinks("https://trac.example.com").ticket(12)`` is that ticket's address."""

    def __init__(self, base_url: str) -> None:
        self.base = (base_url or "").rstrip("/")

    def href(self, *segments: Union[str, int], fragment: Optional[str] = None, **query: object) -> str:
        path = "/".join(quote(str(segment), safe=_PATH_SAFE) for segment in segments if segment not in ("", None))
        url = f"{self.base}/{path}"
        params = {key: value for key, value in query.items() if value is not None}
        if params:
            url += "?" + urlencode(params)
        if fragment:
            url += "#" + quote(fragment, safe=":")
        return url

    def ticket(self, ticket_id: Union[int, str], comment: Optional[Union[int, str]] = None) -> str:
        return self.href("ticket", ticket_id, fragment=f"comment:{comment}" if comment else None)

    def ticket_diff(self, ticket_id: Union[int, str], version: Union[int, str]) -> str:
        return self.href("ticket", ticket_id, action="diff", version=version)

    def wiki(self, page: str, **query: object) -> str:
        return self.href("wiki", page, **query)

    def attachment(self, realm: str, parent_id: Union[int, str], filename: str) -> str:
        return self.href("attachment", realm, parent_id, filename)

    def changeset(self, rev: Union[int, str], repository: str = "") -> str:
        return self.href("changeset", rev, repository)

    def milestone(self, name: str) -> str:
        return self.href("milestone", name)

    def report(self, number: Union[int, str]) -> str:
        return self.href("report", number)

    def source(self, path: str) -> str:
        return self.href("browser", path.lstrip("/"))
