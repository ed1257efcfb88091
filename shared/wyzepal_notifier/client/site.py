"""``site`` given with or without scheme or ``/api`` suffix all mean the same server."""
from __future__ import annotations

import re


def normalize_site(site: str) -> str:
    """``chat.example.com/api/v1/`` becomes ``https://chat.example.com``."""
    site = site.strip().rstrip("/")
    if not re.match(r"^https?://", site, re.IGNORECASE):
        site = "https://" + site
    site = re.sub(r"/api(/v1)?$", "", site)
    return site.rstrip("/")


def api_base_url(site: str) -> str:
    return normalize_site(site) + "/api/v1"
