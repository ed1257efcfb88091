"""Who the bot is and where its server lives; the key never shows in repr or logs.

A ``NamedTuple``, not a dataclass, like the other records a hook builds: every
hook run imports this, and ``dataclasses`` costs a hook about 20 ms of its start.
"""
from __future__ import annotations

from typing import Any, Mapping, NamedTuple, Optional


class Credentials(NamedTuple):
    site: str
    email: str
    api_key: str
    insecure: bool = False
    cert_bundle: Optional[str] = None
    source: Optional[str] = None

    @classmethod
    def from_settings(cls, values: Mapping[str, Any], source: Optional[str]) -> Credentials:
        """From validated ``WYZEPAL_*`` settings, wherever they were written."""
        return cls(
            site=values["WYZEPAL_SITE"],
            email=values["WYZEPAL_USER"],
            api_key=values["WYZEPAL_API_KEY"],
            insecure=bool(values.get("WYZEPAL_INSECURE")),
            cert_bundle=values.get("WYZEPAL_CERT_BUNDLE"),
            source=source,
        )

    def __repr__(self) -> str:
        return f"Credentials(site={self.site!r}, email={self.email!r}, api_key='***')"
