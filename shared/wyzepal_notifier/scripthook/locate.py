"""Where a hook's config lives: named, in the environment, or beside the hook.

A hook has no HOME to look in. Its config sits beside the hook script (the path
the host ran, before symlinks are followed) or in the repository's own hooks
folder, which is found from the data the host passes, not from the environment.
The search itself is the library's one :func:`~wyzepal_notifier.config.locate_config`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping, Optional

from ..config.locate import PathLike, locate_config


def find_hook_config(tool: str, *, explicit: Optional[PathLike] = None, folders: Iterable[Optional[PathLike]] = (),
                     env: Optional[Mapping[str, str]] = None) -> Path:
    """``explicit``, else ``$WYZEPAL_<TOOL>_CONFIG``, else the first of ``folders`` holding the file."""
    return locate_config(tool, explicit=explicit, folders=folders, env=env)
