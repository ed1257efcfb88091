"""What a revision holds, asked through ``svnlook`` (no Python bindings needed)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from wyzepal_notifier.scripthook import HostCommandError, find_program, run_program

#: ``svnlook changed`` codes as ``svn log -v`` shows them (``U`` contents, ``_U`` properties).
_LOG_LETTERS = {"U": "M", "UU": "M", "_U": "M"}


@dataclass(frozen=True)
class Change:
    """One changed path: ``A``, ``D``, ``M`` or ``R`` and the path from the root (``/trunk/x``)."""

    action: str
    path: str


@dataclass(frozen=True)
class Revision:
    number: int
    author: str
    date: str
    log: str
    changes: tuple[Change, ...]


class Svnlook:
    """Reads one repository on disk with the ``svnlook`` command."""

    def __init__(self, repos: str, program: Optional[str] = None) -> None:
        self.repos = repos
        self.program = find_program("svnlook", program, setting="SVNLOOK_PATH")

    def revision(self, number: int) -> Revision:
        author, date, log = parse_info(self._run("info", number))
        return Revision(number, author, date, log, parse_changed(self._run("changed", number)))

    def _run(self, subcommand: str, number: int) -> str:
        return run_program([self.program, subcommand, "-r", str(number), self.repos])


def parse_info(output: str) -> tuple[str, str, str]:
    """``svnlook info``: author, date, log size in bytes, then the log itself."""
    lines = output.split("\n", 3)
    if len(lines) < 4 or not lines[2].strip().isdigit():
        raise HostCommandError(f"svnlook info printed something unexpected: {output[:80]!r}")
    size = int(lines[2])
    log = lines[3].encode("utf-8")[:size].decode("utf-8", "replace")
    return lines[0].strip(), lines[1].strip(), log


def parse_changed(output: str) -> tuple[Change, ...]:
    """``svnlook changed``: a status code in the first columns, the path from column 5."""
    changes = []
    for line in output.splitlines():
        if len(line) < 5 or line.startswith(" "):
            continue
        code = line[:2].strip()
        changes.append(Change(_LOG_LETTERS.get(code, code[:1]), "/" + line[4:]))
    return tuple(changes)
