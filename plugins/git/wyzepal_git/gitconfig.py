"""Settings from ``git config``: one hook and one config file for many repositories.

Git hosting admins run one hook for every repository (gitolite, Gerrit, a shared
``core.hooksPath``), as git-multimail reads ``multimailhook.*``. Here the
config file (credentials, defaults) sits beside the shared hook or is named by
``wyzepal.config``, and each repository sets what differs in its own git config::

    git config wyzepal.stream backend
    git config wyzepal.topic '{repo}: {branch}'
    git config --add wyzepal.excludePaths secret

A key is a setting's name without underscores, in any case (``wyzepal.maxCommits``
is ``MAX_COMMITS``), or one of the short names below. A list setting takes one
value per ``--add``. Values from git config win over the file; an unknown key
is said (as an unknown name in the file is) and ignored. The API key and
the settings that are code (``CONFIGURATIONS``, ``COMMIT_NOTICE_DESTINATION``)
stay in the file, which only its owner can read.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Iterable, Optional

from wyzepal_notifier import ConfigError
from wyzepal_notifier.config import Field, UnknownSettingWarning

#: Short names, as a configuration's own ``stream``/``topic`` keys.
ALIASES = {"stream": "STREAM_FOR_NOTIFICATIONS", "channel": "STREAM_FOR_NOTIFICATIONS", "site": "WYZEPAL_SITE",
           "user": "WYZEPAL_USER", "apikey": "WYZEPAL_API_KEY", "name": "REPOSITORY_NAME"}
#: Settings git config may not hold: a secret anyone who reads the repository could see, and code.
FILE_ONLY = {"WYZEPAL_API_KEY": "keep the API key in the config file (chmod 600), never in git config",
             "CONFIGURATIONS": "CONFIGURATIONS is a list of dicts: set it in the config file",
             "COMMIT_NOTICE_DESTINATION": "a function: define it in the config file"}
CONFIG_KEY = "wyzepal.config"


def _key(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def config_file(pairs: Iterable[tuple[str, str]], git_dir: Path) -> Optional[Path]:
    """``wyzepal.config``: the config file's path (relative to the repository; ``~`` is expanded)."""
    found = [value for key, value in pairs if key == CONFIG_KEY]
    if not found or not found[-1].strip():
        return None
    return git_dir / os.path.expanduser(found[-1].strip())


def settings_from_git(pairs: Iterable[tuple[str, str]], fields: Iterable[Field]) -> dict[str, Any]:
    """The settings git config names, typed and checked; a bad one is a ConfigError naming its git key.

    ``fields`` in the order the schema extends them: a later field of the same name wins.
    """
    by_key = {_key(f.name): f for f in fields}
    by_key.update({alias: by_key[_key(name)] for alias, name in ALIASES.items() if _key(name) in by_key})
    collected: dict[str, tuple[Field, list[tuple[str, str]]]] = {}
    for key, value in pairs:
        if key == CONFIG_KEY:
            continue
        variable = key[len("wyzepal."):]
        field = by_key.get(_key(variable))
        if field is None:  # as an unknown name in the file: said, and the rest still applies
            known = sorted({f"wyzepal.{name}" for name in ALIASES if name != "apikey"} | {"wyzepal.config"})
            warnings.warn(f"git config: {key} is not a setting and is ignored; use a setting's name without "
                          f"underscores (wyzepal.maxCommits) or one of {', '.join(known)}, or remove it with: "
                          f"git config --unset {key}", UnknownSettingWarning, stacklevel=2)
            continue
        if field.name in FILE_ONLY:
            raise ConfigError("cannot be set in git config", path="git config", key=key,
                              fix=f"{FILE_ONLY[field.name]}; remove it with: git config --unset-all {key}")
        collected.setdefault(field.name, (field, []))[1].append((key, value))
    return {name: _typed(field, found) for name, (field, found) in collected.items()}


def _typed(field: Field, found: list[tuple[str, str]]) -> Any:
    key, raw = found[-1]  # git's order: system, global, repository; the last one wins
    where = f"git config {key}"
    if field.type is list:
        return field.validate([value for _, value in found], where)
    if field.type is int:
        try:
            number = int(raw.strip())
        except ValueError:
            raise ConfigError(f"is {raw!r}", path=where, key=key, expected="a whole number",
                              fix=f"git config {key} 20") from None
        return field.validate(number, where)
    if field.type is bool or field.type is str:
        return field.from_text(raw, where, key=key)
    raise ConfigError("cannot be set in git config", path="git config", key=key,
                      fix=f"set {field.name} in the config file")
