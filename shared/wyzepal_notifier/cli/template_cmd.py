"""``wyzepal-integrations template TOOL``: the copy-and-edit config file of a plugin.

The templates ship inside the package (``wyzepal_notifier/templates``), so a
plugin installed with pip into Trac's or Jenkins' environment has its template
at hand without a clone of the repository.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..config import config_filename
from ..errors import ConfigError
from .common import EXIT_OK, exits_cleanly

_PACKAGE = Path(__file__).resolve().parents[1]
#: Installed: inside the package. Source checkout: the repository's templates/ folder.
TEMPLATE_FOLDERS = (_PACKAGE / "templates", _PACKAGE.parents[1] / "templates")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "template", help="print or write a plugin's config template",
        description="Print the config template of a plugin (trac, jenkins, hubot, git, svn), or write it to "
                    "a file readable only by you, ready to edit.",
    )
    parser.add_argument("tool", help="the plugin: " + ", ".join(known_tools()))
    parser.add_argument("--output", "-o", metavar="PATH",
                        help="write here (mode 600) instead of printing; a folder gets the usual file name")
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    parser.set_defaults(func=run)


def known_tools() -> list[str]:
    names = {path.name[len("wyzepal_"):-len("_config.py")] for folder in TEMPLATE_FOLDERS if folder.is_dir()
             for path in folder.glob("wyzepal_*_config.py")}
    return sorted(names)


def template_path(tool: str) -> Path:
    for folder in TEMPLATE_FOLDERS:
        candidate = folder / config_filename(tool)
        if candidate.is_file():
            return candidate
    raise ConfigError(f"there is no template for {tool!r}", key="TOOL", expected=", ".join(known_tools()),
                      fix="name one of the plugins")


@exits_cleanly
def run(args: argparse.Namespace) -> int:
    text = template_path(args.tool).read_text(encoding="utf-8")
    if not args.output:
        sys.stdout.write(text)
        return EXIT_OK
    target = output_path(args.output, args.tool)
    if target.exists() and not args.force:
        raise ConfigError("already exists", path=str(target), fix="edit it, or add --force to replace it")
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(target, 0o600)
    owner = give_to_folder_owner(target)
    print(f"wrote {target}{owner}; edit WYZEPAL_SITE, WYZEPAL_USER, WYZEPAL_API_KEY and the channel, then run: "
          f"wyzepal-integrations check --ping --config {target}")
    return EXIT_OK


def output_path(output: str, tool: str) -> Path:
    """Where ``-o`` means: a folder (existing, or written with a trailing /) gets the usual file name.

    A folder that does not exist is an error: writing a file named like the
    folder (``-o hooks/`` making a file ``hooks``) would put the config where no
    plugin looks.
    """
    target = Path(output)
    if target.is_dir():
        return target / config_filename(tool)
    if output.endswith(("/", os.sep)):
        raise ConfigError("is not an existing folder", path=output,
                          fix=f"create it first (mkdir -p {output}), or name an existing one")
    if not target.parent.is_dir():
        raise ConfigError(f"cannot be written: the folder {target.parent} does not exist", path=output,
                          fix=f"create it first (mkdir -p {target.parent}), or name an existing folder")
    return target


def give_to_folder_owner(target: Path) -> str:
    """Run as root (a git or svn README followed with sudo), the file goes to the folder's owner.

    The host runs the hook as that user (``git``, ``www-data``); a mode-600 file
    owned by root is one it cannot read. Returns what to tell the user.
    """
    if os.name != "posix" or os.geteuid() != 0:
        return ""
    folder_owner = target.parent.stat().st_uid
    if folder_owner == 0:
        return " (owned by root: if the host runs as another user, chown the file to that user)"
    os.chown(target, folder_owner, target.parent.stat().st_gid)
    return f" (owned by {_user_name(folder_owner)}, the owner of {target.parent}, who can read it; mode 600)"


def _user_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"user {uid}"
