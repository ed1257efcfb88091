"""Running the host's own commands (``git``, ``svnlook``) from inside its hook.

Hooks get a minimal environment: Subversion gives none at all, so ``PATH`` may
be unset and the locale is ``C``. Programs are looked up in ``PATH`` and then in
the usual system folders, and are asked for UTF-8 output.
"""
from __future__ import annotations

import os
import subprocess
from typing import Mapping, Optional, Sequence

from ..errors import ConfigError, WyzePalError

#: Searched after ``PATH``: where package managers put host tools.
SYSTEM_FOLDERS = ("/usr/local/bin", "/usr/bin", "/bin", "/opt/homebrew/bin", "/opt/local/bin")


class HostCommandError(WyzePalError):
    """A host command failed; says which, how, and what it printed."""


def find_program(name: str, configured: Optional[str] = None, *, setting: str = "",
                 env: Optional[Mapping[str, str]] = None) -> str:
    """The program's path: ``configured`` if given, else ``PATH``, else the system folders."""
    if configured:
        if os.path.isfile(configured) and os.access(configured, os.X_OK):
            return configured
        raise ConfigError(f"{configured} is not an executable file", key=setting or None,
                          fix=f"give the full path of {name}, e.g. /usr/bin/{name}")
    env = os.environ if env is None else env
    search = os.pathsep.join(filter(None, [env.get("PATH", ""), *SYSTEM_FOLDERS]))
    found = _which(name, search)
    if found is None:
        hint = f"set {setting} in the config to its full path" if setting else f"install {name}"
        raise HostCommandError(f"{name} was not found in PATH or {', '.join(SYSTEM_FOLDERS)}; {hint}")
    return found


def _which(name: str, search: str) -> Optional[str]:
    """``shutil.which`` for a plain name, without importing shutil (and its archive modules) on every hook run."""
    for folder in search.split(os.pathsep):
        candidate = os.path.join(folder, name)
        if folder and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def run_program(argv: Sequence[str], *, cwd: Optional[str] = None, stdin: Optional[str] = None,
                env: Optional[Mapping[str, str]] = None, check: bool = True) -> str:
    """Run ``argv`` and return its output as text (UTF-8, undecodable bytes replaced)."""
    try:
        done = subprocess.run(list(argv), cwd=cwd, input=stdin.encode() if stdin is not None else None,
                              capture_output=True, env=_utf8_env(env), check=False)
    except OSError as exc:
        raise HostCommandError(f"could not run {argv[0]}: {exc.strerror}") from None
    if check and done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise HostCommandError(f"{' '.join(argv[:3])} failed (exit {done.returncode})"
                               + (f": {said[-1]}" if said else ""))
    return done.stdout.decode("utf-8", "replace")


def _utf8_env(env: Optional[Mapping[str, str]]) -> dict[str, str]:
    """The caller's environment with a UTF-8 locale, so host tools do not escape non-ASCII."""
    merged = dict(os.environ if env is None else env)
    merged["LC_ALL"] = "C.UTF-8"
    return merged
