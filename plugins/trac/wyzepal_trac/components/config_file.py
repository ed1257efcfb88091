"""Which ``wyzepal_trac_config.py`` a Trac environment uses.

The first of: ``[wyzepal] config`` in trac.ini, ``$WYZEPAL_TRAC_CONFIG``, the
file in the environment's ``plugins/`` folder (beside the single-file plugin),
the file in its ``conf/`` folder (beside trac.ini).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Optional, Sequence

from wyzepal_notifier.config import config_env_var, config_filename, locate_config
from wyzepal_notifier.errors import ConfigNotFound

TOOL = "trac"


def find_config(explicit: Optional[str], folders: Sequence[str], env: Optional[Mapping[str, str]] = None) -> Path:
    """The config file to use; a ConfigNotFound lists every place looked at."""
    env = os.environ if env is None else env
    if explicit or env.get(config_env_var(TOOL)):
        return locate_config(TOOL, explicit=explicit or None, env=env)
    searched = ["[wyzepal] config in trac.ini (not set)", f"${config_env_var(TOOL)} (not set)"]
    for folder in dict.fromkeys(folders):  # in order, without repeats
        candidate = Path(folder) / config_filename(TOOL)
        if candidate.is_file():
            return candidate
        searched.append(str(candidate))
    raise ConfigNotFound(config_filename(TOOL), searched)


def file_stamp(path: Path) -> tuple[str, int, int]:
    """Changes when the file is edited, so a running Trac picks up the new config."""
    info = path.stat()
    return str(path), info.st_mtime_ns, info.st_size
