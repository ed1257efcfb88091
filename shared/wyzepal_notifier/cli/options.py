"""The options every command of the project spells the same way, in one place.

``wyzepal-integrations``, the git and Subversion hooks, the Hubot bridge and the
Jenkins step and watcher all build their parser here: ``--config FILE``,
``--dry-run``, ``-v/--verbose`` (accepted before or after a subcommand),
``--version``, and help text that shows each option's default.
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from typing import Any, Optional, Sequence

from ..version import __version__

#: The commands the package installs, for ``--help`` and the guides.
PLUGIN_COMMANDS = (
    ("wyzepal-git-post-receive", "git post-receive hook (plugins/git)"),
    ("wyzepal-svn-post-commit", "Subversion post-commit hook (plugins/svn)"),
    ("wyzepal-svn-post-lock", "Subversion post-lock hook (plugins/svn)"),
    ("wyzepal-svn-post-unlock", "Subversion post-unlock hook (plugins/svn)"),
    ("wyzepal-svn-post-revprop-change", "Subversion post-revprop-change hook (plugins/svn)"),
    ("wyzepal-hubot-bridge", "the bridge the hubot-wyzepal adapter starts (plugins/hubot)"),
    ("wyzepal-jenkins-notify", "announce a build from a Jenkinsfile or shell step (plugins/jenkins)"),
    ("wyzepal-jenkins-watch", "announce every watched job's builds by polling Jenkins (plugins/jenkins)"),
)
VERBOSE_HELP = "say what was decided, read and sent (never the API key)"


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Shows ``(default: X)`` for options that have a default worth naming; keeps descriptions as written.

    Descriptions taken from docstrings lose their reST quoting (a terminal shows
    double backquotes as they are).
    """

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: Optional[int] = None) -> None:
        if width is None:  # argparse imports shutil (and bz2, lzma) for this: every hook run would pay it
            width = _terminal_columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)

    def _format_text(self, text: str) -> str:
        return super()._format_text(plain_text(text))

    def _expand_help(self, action: argparse.Action) -> str:
        return plain_text(super()._expand_help(action))

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if ("%(default)" in text or "default:" in text or "default " in text or default in (None, False, True)
                or default is argparse.SUPPRESS or action.option_strings == [] or isinstance(default, list)):
            return text
        return f"{text} (default: %(default)s)"


def plain_text(text: str) -> str:
    """``name`` and :role:`name` as 'name': the reST of a docstring, readable in a terminal."""
    text = re.sub(r":\w+:`([^`]*)`", r"'\1'", text)
    return re.sub(r"``([^`]*)``", r"'\1'", text)


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``: ``$COLUMNS``, else the terminal's width, else 80."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def command_parser(prog: str, description: str, *, epilog: Optional[str] = None,
                   parser_class: type = argparse.ArgumentParser, **kwargs: Any) -> argparse.ArgumentParser:
    """A command's parser with ``--version`` and the project's help layout."""
    parser = parser_class(prog=prog, description=description, epilog=epilog, formatter_class=HelpFormatter,
                          **kwargs)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def add_config(parser: argparse.ArgumentParser, help_text: str, *, required: bool = False) -> None:
    parser.add_argument("--config", metavar="FILE", required=required, help=help_text)


def add_dry_run(parser: argparse.ArgumentParser, *aliases: str,
                help_text: str = "print the messages instead of sending them") -> None:
    """``--dry-run``; ``aliases`` keep an older spelling working (the Jenkins step's ``--print``)."""
    parser.add_argument("--dry-run", *aliases, dest="dry_run", action="store_true", help=help_text)


def add_verbose(parser: argparse.ArgumentParser, *, top_level: bool = True) -> None:
    """``-v``; below the top level it defaults to SUPPRESS, so ``cmd -v sub`` and ``cmd sub -v`` both count."""
    parser.add_argument("-v", "--verbose", action="store_true",
                        default=False if top_level else argparse.SUPPRESS, help=VERBOSE_HELP)


def add_verbose_everywhere(parser: argparse.ArgumentParser) -> None:
    """Give every subcommand (and sub-subcommand) its ``-v`` too, and the help layout."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                sub.formatter_class = HelpFormatter
                if not any("--verbose" in a.option_strings for a in sub._actions):
                    add_verbose(sub, top_level=False)
                add_verbose_everywhere(sub)


def setup_logging(verbose: bool, prog: str, stream: Any = None) -> None:
    """INFO lines (what was read, decided and sent) with ``-v``; warnings and errors only without.

    On the library's logger, not the root: a host that embeds the command (a
    test, a wrapper script) keeps its own logging as it is.
    """
    logger = logging.getLogger("wyzepal_notifier")
    for old in [h for h in logger.handlers if getattr(h, "wyzepal_command", False)]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.wyzepal_command = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(f"{prog}: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)


def plugin_commands_epilog(extra: Sequence[str] = ()) -> str:
    lines = ["plugin commands (each has --help):"]
    lines += [f"  {name:<26} {what}" for name, what in PLUGIN_COMMANDS]
    return "\n".join([*lines, *extra])
