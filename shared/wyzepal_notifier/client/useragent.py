"""The User-Agent the WyzePal docs ask for: ``Name/version (Platform; release)``."""
from __future__ import annotations

import functools
import platform


@functools.cache
def platform_description() -> str:
    """``Debian GNU/Linux; 12`` on Linux, ``Darwin; 23.1.0`` elsewhere."""
    try:
        release = platform.freedesktop_os_release()  # Python 3.10+
        name = release.get("NAME") or platform.system()
        version = release.get("VERSION_ID") or platform.release()
    except (AttributeError, OSError):
        name, version = platform.system() or "unknown", platform.release() or "unknown"
    return f"{name}; {version}"


def user_agent(name: str, version: str) -> str:
    return f"{name}/{version} ({platform_description()})"
