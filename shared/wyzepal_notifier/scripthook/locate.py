"""Where a hook's config lives: named, in the environment, or beside the hook.

A hook has no HOME to look in. Its config sits beside the hook script (the path
the host ran, before symlinks are followed) or in the repository's own hooks
folder, which is found from the data the host passes, not from the environment.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Mapping, Optional

from ..config.locate import PathLike, config_env_var, config_filename, locate_config
from ..errors import ConfigNotFound


def find_hook_config(tool: str, *, explicit: Optional[PathLike] = None, folders: Iterable[Optional[PathLike]] = (),
                     env: Optional[Mapping[str, str]] = None) -> Path:
    """``explicit``, else ``$WYZEPAL_<TOOL>_CONFIG``, else the first of ``folders`` holding the file."""
    env = os.environ if env is None else env
    if explicit or env.get(config_env_var(tool)):
        return locate_config(tool, explicit=explicit, env=env)
    searched = [f"${config_env_var(tool)} (not set)"]
    seen: set[Path] = set()
    for folder in folders:
        if folder is None:
            continue
        candidate = Path(os.path.abspath(folder)) / config_filename(tool)
        if candidate in seen:
            continue
        seen.add(candidate)
        if candidate.is_file():
            return candidate
        searched.append(str(candidate))
    raise ConfigNotFound(config_filename(tool), searched)
