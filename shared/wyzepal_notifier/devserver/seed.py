"""What a dev server starts with: users from options, a file or the environment, and the
channels and bots that plugin config files name.

Kept apart from the CLI so ``wyzepal-integrations demo`` and tests seed a server
the same way.  Keys given here are the caller's, so the banner never prints them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, List, Mapping, Optional

from ..config import load_pyfile
from ..config.pyfile import warn_if_readable_by_others
from ..errors import WyzePalError

#: Environment variable holding user specs (one per line, or comma-separated).
USERS_ENV = "WYZEPAL_DEVSERVER_USERS"


@dataclass(frozen=True)
class UserSeed:
    """A user to create; ``key`` None means generate one (then the banner shows it)."""

    email: str
    key: Optional[str] = None
    full_name: Optional[str] = None
    bot: bool = True
    source: str = "--user"


@dataclass
class Seed:
    """Channels and users to create before the server starts."""

    streams: List[str] = field(default_factory=list)
    users: List[UserSeed] = field(default_factory=list)

    def add_stream(self, name: str) -> None:
        if name and name.lower() not in (s.lower() for s in self.streams):
            self.streams.append(name)


class SeedError(ValueError):
    """A user spec, users file or plugin config the dev server cannot use (one clear line)."""


def parse_user(spec: str, source: str = "--user") -> UserSeed:
    """``EMAIL``, ``EMAIL:KEY`` or ``EMAIL:KEY:FULL NAME`` (an empty KEY is generated)."""
    email, _, rest = spec.strip().partition(":")
    key, _, name = rest.partition(":")
    if "@" not in email:
        raise SeedError(f"{source}: {spec!r} is not EMAIL[:KEY[:FULL NAME]] (an email address comes first)")
    if key and any(ch.isspace() for ch in key.strip()):
        raise SeedError(f"{source}: the key for {email} has spaces; write EMAIL:KEY[:FULL NAME]")
    return UserSeed(email.strip(), key.strip() or None, name.strip() or None, True, source)


def parse_person(spec: str) -> UserSeed:
    """``EMAIL`` or ``EMAIL:FULL NAME``: a human (not a bot) with a generated key."""
    email, _, name = spec.strip().partition(":")
    if "@" not in email:
        raise SeedError(f"--person: {spec!r} is not EMAIL[:FULL NAME]")
    return UserSeed(email.strip(), None, name.strip() or None, False, "--person")


def _specs(text: str, split_commas: bool) -> Iterable[str]:
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        yield from (part.strip() for part in line.split(",")) if split_commas else [line]


def users_from_file(path: str) -> List[UserSeed]:
    """One ``EMAIL:KEY[:FULL NAME]`` per line; ``#`` comments and blank lines are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SeedError(f"--users-file {path}: cannot read it ({exc.strerror or exc})") from None
    users = [parse_user(spec, f"--users-file {path}") for spec in _specs(text, split_commas=False)]
    warn_if_readable_by_others(Path(path), holds_secret=any(u.key for u in users))
    return users


def users_from_env(env: Optional[Mapping[str, str]] = None) -> List[UserSeed]:
    """``$WYZEPAL_DEVSERVER_USERS``: specs separated by newlines or commas."""
    text = (os.environ if env is None else env).get(USERS_ENV, "")
    return [parse_user(spec, f"${USERS_ENV}") for spec in _specs(text, split_commas=True) if spec]


def bot_name(email: str) -> str:
    """A bot's display name from its email: ``hubot-bot@...`` is "Hubot", as the READMEs address it."""
    local = email.split("@")[0]
    for suffix in ("-bot", "_bot", ".bot"):
        if local.lower().endswith(suffix) and len(local) > len(suffix):
            local = local[: -len(suffix)]
    return local.replace(".", " ").replace("-", " ").replace("_", " ").title()


def channel_names(values: Mapping[str, Any]) -> List[str]:
    """Channels a plugin config names: ``STREAM_FOR_NOTIFICATIONS``, ``*_STREAM``, ``*_STREAMS``
    and each ``CONFIGURATIONS`` entry's ``stream`` (templates with ``{...}`` are skipped)."""
    names: List[str] = []
    for key, value in values.items():
        if key == "STREAM_FOR_NOTIFICATIONS" or key.endswith("_STREAM"):
            names.append(value if isinstance(value, str) else "")
        elif key.endswith("_STREAMS") and isinstance(value, (list, tuple)):
            names.extend(v for v in value if isinstance(v, str))
    for entry in values.get("CONFIGURATIONS") or []:
        if isinstance(entry, Mapping):
            settings = entry.get("settings")
            for holder in (entry, settings if isinstance(settings, Mapping) else {}):
                if isinstance(holder.get("stream"), str):
                    names.append(holder["stream"])
    return [n.strip() for n in names if n and n.strip() and "{" not in n]


def from_config(path: str, seed: Seed) -> None:
    """Add the channels and the bot (``WYZEPAL_USER`` with its ``WYZEPAL_API_KEY``) a plugin config names."""
    try:
        values = load_pyfile(Path(path))
    except WyzePalError as exc:
        raise SeedError(f"--config {path}: {exc}") from None
    except OSError as exc:
        raise SeedError(f"--config {path}: cannot read it ({exc.strerror or exc})") from None
    for name in channel_names(values):
        seed.add_stream(name)
    email, key = values.get("WYZEPAL_USER"), values.get("WYZEPAL_API_KEY")
    if isinstance(email, str) and "@" in email:
        usable_key = key.strip() if isinstance(key, str) and key.strip() else None
        seed.users.append(UserSeed(email.strip(), usable_key, bot_name(email), True, f"--config {path}"))
