"""Where a plugin's config file is found: explicit path, environment, beside the script.

Every host (the CLI, the git and Subversion hooks, Trac, Jenkins, the Hubot
bridge) finds its ``wyzepal_<tool>_config.py`` through :func:`locate_config`, so
each says the same thing when nothing is found, and each treats a directory or
a symlink loop in place of the file as a broken config (held, reported), not
as "not set up yet".
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence, Union

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
    folders: Iterable[Optional[PathLike]] = (),
    env: Optional[Mapping[str, str]] = None,
    env_vars: Sequence[str] = (),
    unset: Sequence[str] = (),
) -> Path:
    """The first hit of: ``explicit``, the environment variables, ``beside``, then ``folders``.

    ``beside`` is the running script or plugin file (or its folder); ``folders``
    are more places to look in, in order. ``env_vars`` are read before
    ``$WYZEPAL_<TOOL>_CONFIG`` (the Hubot convention ``$HUBOT_WYZEPAL_CONFIG``);
    ``unset`` names host settings that could have named the file and did not
    (Trac's ``[wyzepal] config``), so the "not found" message lists them too.

    A path that is named explicitly but missing is an error of its own: silently
    falling back to another file would hide the typo. A candidate that exists but
    is not a readable regular file (a folder, a symlink loop) is a ConfigError,
    never ConfigNotFound: hosts hold events for a broken config, and drop them
    only when the plugin is plainly not set up.
    """
    env = os.environ if env is None else env
    if explicit:
        return _must_be_file(Path(explicit), "given with --config or in the host's settings", tool)
    variables = list(dict.fromkeys([*env_vars, config_env_var(tool)]))
    for variable in variables:
        if env.get(variable):
            return _must_be_file(Path(env[variable]), f"named by ${variable}", tool)
    searched = [f"{place} (not set)" for place in unset] + [f"${variable} (not set)" for variable in variables]
    candidates: list[Optional[PathLike]] = []
    if beside is not None:
        folder = Path(beside)
        candidates.append(folder if folder.is_dir() else folder.parent)
    candidates.extend(folders)
    seen: set[Path] = set()
    for folder in candidates:
        if folder is None:
            continue
        candidate = Path(os.path.abspath(folder)) / config_filename(tool)
        if candidate in seen:
            continue
        seen.add(candidate)
        if os.path.lexists(candidate):
            return _must_be_file(candidate, "found", tool)
        searched.append(str(candidate))
    raise ConfigNotFound(config_filename(tool), searched, tool=tool)


def _must_be_file(path: Path, how: str, tool: str) -> Path:
    """``path`` if it is a regular file; else a ConfigError saying what it is instead."""
    if path.is_file():
        return path
    if path.is_dir():
        problem = f"the config file {how} is a folder, not a file"
        fix = f"name the file inside it ({path / config_filename(tool)}), or write it with: " \
              f"wyzepal-integrations template {tool} -o {path}"
    elif os.path.islink(path):
        problem = f"the config file {how} is a symbolic link that leads nowhere (broken, or a loop)"
        fix = f"point the link at the real file (ls -l {path}), or replace it with the file itself"
    elif os.path.lexists(path):
        problem = f"the config file {how} is not a regular file"
        fix = "replace it with the config file"
    else:
        problem = f"the config file {how} does not exist"
        fix = f"correct the path, or create the file there with: wyzepal-integrations template {tool} -o {path}"
    raise ConfigError(problem, path=str(path), fix=fix)
