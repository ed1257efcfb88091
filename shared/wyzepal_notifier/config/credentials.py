"""Who the bot is and where its server lives; the key never shows in repr or logs."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class Credentials:
    site: str
    email: str
    api_key: str = field(repr=False)
    insecure: bool = False
    cert_bundle: Optional[str] = None
    source: Optional[str] = None

    def __repr__(self) -> str:
        return f"Credentials(site={self.site!r}, email={self.email!r}, api_key='***')"
