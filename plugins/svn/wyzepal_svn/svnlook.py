"""What a revision holds, asked through ``svnlook`` (no Python bindings needed)."""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, Optional

from wyzepal_notifier.scripthook import HostCommandError, find_program, run_program

#: ``svnlook changed`` codes as ``svn log -v`` shows them (``U`` contents, ``_U`` properties).
_LOG_LETTERS = {"U": "M", "UU": "M", "_U": "M"}


class Change(NamedTuple):
    """One changed path: ``A``, ``D``, ``M`` or ``R`` and the path from the root (``/trunk/x``)."""

    action: str
    path: str


class FileStat(NamedTuple):
    """Lines added and removed in one file (``binary`` when svn shows no diff for it)."""

    path: str
    added: int = 0
    removed: int = 0
    binary: bool = False


class Lock(NamedTuple):
    path: str
    owner: str
    comment: str


class Revision(NamedTuple):
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

    def diffstat(self, number: int) -> dict[str, FileStat]:
        """Lines added and removed per file, from ``svnlook diff`` (asked only when DIFFSTAT is on)."""
        return parse_diff(self._run("diff", number))

    def uuid(self) -> str:
        """The repository's UUID: read from ``db/uuid`` (no process), else asked of svnlook."""
        try:
            first = (Path(self.repos) / "db" / "uuid").read_text().split("\n", 1)[0].strip()
        except OSError:
            first = ""
        return first or run_program([self.program, "uuid", self.repos]).strip()

    def lock(self, path: str) -> Optional[Lock]:
        """The lock on ``path``, or None: post-lock runs after the fact, the lock may be gone already."""
        output = run_program([self.program, "lock", self.repos, path], check=False)
        return parse_lock(path, output) if output.strip() else None

    def revprop(self, number: int, name: str) -> Optional[str]:
        """A revision property's value now (None when it is deleted)."""
        output = run_program([self.program, "propget", "--revprop", "-r", str(number), self.repos, name],
                             check=False)
        return output if output else None

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


def parse_lock(path: str, output: str) -> Lock:
    """``svnlook lock``: ``Owner:`` and, after ``Comment (N lines):``, the comment."""
    owner, comment = "", ""
    lines = output.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("Owner:"):
            owner = line[len("Owner:"):].strip()
        elif line.startswith("Comment ("):
            comment = "\n".join(lines[index + 1:]).strip()
            break
    return Lock(path, owner, comment)


def parse_diff(output: str) -> dict[str, FileStat]:
    """``svnlook diff``: per file section (a ``Modified: path`` line over a rule of ``=``), its ``+``/``-`` lines.

    Property changes (under a rule of ``_``) are not lines of the file and are not counted.
    """
    stats: dict[str, FileStat] = {}
    lines = output.split("\n")
    current: Optional[str] = None
    in_hunks = False
    for index, line in enumerate(lines):
        ruled = index + 1 < len(lines) and lines[index + 1].startswith("=" * 20)
        head = _section(line) if ruled else None
        if head is not None:
            current, in_hunks = "/" + head, False
            stats.setdefault(current, FileStat(current))
        elif current is None:
            continue
        elif index + 1 < len(lines) and lines[index + 1].startswith("_" * 20):
            current = None  # "Property changes on: path"
        elif line.startswith("@@"):
            in_hunks = True
        elif line.startswith("(Binary files differ)") or line.startswith("Cannot display:"):
            stats[current] = FileStat(current, binary=True)
        elif in_hunks and line[:1] in ("+", "-"):
            old = stats[current]
            plus = line.startswith("+")
            stats[current] = FileStat(current, old.added + plus, old.removed + (not plus), old.binary)
    return stats


def _section(line: str) -> Optional[str]:
    for prefix in ("Added: ", "Modified: ", "Deleted: ", "Copied: ", "Index: "):
        if line.startswith(prefix):
            path = line[len(prefix):]
            return path.split(" (from ", 1)[0] if prefix == "Copied: " else path
    return None
