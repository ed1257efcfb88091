"""Where a plugin's config file is found: explicit path, environment, beside the script."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Optional, Union

from ..errors import ConfigError, ConfigNotFound

PathLike = Union[str, "os.PathLike[str]"]


def config_filename(tool: str) -> str:
    return f"wyzepal_{tool}_config.py"


def config_env_var(tool: str) -> str:
    return f"WYZEPAL_{tool.upper()}_CONFIG"


def locate_config(
    tool: str,
    *,
    explicit: Optional[PathLike] = None,
    beside: Optional[PathLike] = None,
    env: Optional[Mapping[str, str]] = None,
) -> Path:
    """The first hit of: ``explicit``, ``$WYZEPAL_<TOOL>_CONFIG``, the file beside ``beside``.

    ``beside`` is the running script or plugin file (or its folder). A path that
    is named explicitly but missing is an error of its own: silently falling back
    to another file would hide the typo.
    """
    env = os.environ if env is None else env
    name = config_filename(tool)
    searched: list[str] = []
    if explicit:
        return _must_exist(Path(explicit), "given with --config or in the host's settings")
    from_env = env.get(config_env_var(tool))
    if from_env:
        return _must_exist(Path(from_env), f"named by ${config_env_var(tool)}")
    searched.append(f"${config_env_var(tool)} (not set)")
    if beside is not None:
        folder = Path(beside)
        if not folder.is_dir():
            folder = folder.parent
        candidate = folder / name
        if candidate.is_file():
            return candidate
        searched.append(str(candidate))
    raise ConfigNotFound(name, searched)


def _must_exist(path: Path, how: str) -> Path:
    if path.is_file():
        return path
    raise ConfigError(
        f"the config file {how} does not exist",
        path=str(path),
        fix="correct the path, or copy the template from templates/ there",
    )
