"""Which ``wyzepal_trac_config.py`` a Trac environment uses.

The first of: ``[wyzepal] config`` in trac.ini, ``$WYZEPAL_TRAC_CONFIG``, the
file in the environment's ``plugins/`` folder (beside the single-file plugin),
the file in its ``conf/`` folder (beside trac.ini).
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional, Sequence

from wyzepal_notifier.config import locate_config

TOOL = "trac"


def find_config(explicit: Optional[str], folders: Sequence[str], env: Optional[Mapping[str, str]] = None) -> Path:
    """The config file to use (the library's one search); a ConfigNotFound lists every place looked at."""
    return locate_config(TOOL, explicit=explicit or None, folders=folders, env=env,
                         unset=["[wyzepal] config in trac.ini"])


def file_stamp(path: Path) -> tuple[str, int, int]:
    """Changes when the file is edited, so a running Trac picks up the new config."""
    info = path.stat()
    return str(path), info.st_mtime_ns, info.st_size
