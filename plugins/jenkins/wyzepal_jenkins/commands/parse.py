"""Chat text to a command.

``build <job> [NAME=value ...]``, ``rebuild <job> [#N]``, ``abort <job> [#N]``,
``approve <job> #N [input-id] [NAME=value ...]``, ``reject <job> #N [input-id]``,
``status <job>``, ``last <job>``, ``queue``, ``help``.

Job names with spaces can be quoted (``build "my app"``), as in a shell. What the
person typed is echoed in code spans only, so an error cannot make the bot mention
``@**all**``.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Optional

from wyzepal_notifier.formatting import inline_code

COMMANDS = ("build", "rebuild", "abort", "approve", "reject", "status", "last", "queue", "help")
NEEDS_JOB = ("build", "rebuild", "abort", "approve", "reject", "status", "last")
TAKES_NUMBER = ("rebuild", "abort", "approve", "reject")
NEEDS_NUMBER = ("approve", "reject")
TAKES_PARAMETERS = ("build", "approve")
_NUMBER = re.compile(r"^#?(\d+)$")
_LEADING_MENTION = re.compile(r"^\s*@_?\*\*[^*]+\*\*[\s:,]*")
_PARAMETER = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$", re.DOTALL)


@dataclass
class Command:
    name: str
    job: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    number: Optional[int] = None
    input_id: str = ""


class CommandError(ValueError):
    """What the person typed is not a command; the text says how to write it."""


def strip_mention(content: str) -> str:
    """``@**Jenkins Bot** build app`` is ``build app``."""
    return _LEADING_MENTION.sub("", content, count=1).strip()


def parse(text: str) -> Command:
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise CommandError(f"I could not read that ({exc}); quote job names with spaces like \"my job\"") from None
    if not words:
        raise CommandError("say `help` to see what I can do")
    name = words[0].lower()
    if name not in COMMANDS:
        raise CommandError(f"I don't know the command {inline_code(words[0])}; say `help` to see what I can do")
    if name not in NEEDS_JOB:
        return Command(name)
    if len(words) < 2:
        raise CommandError(f"which job? e.g. `{name} my-job`")
    command = Command(name, job=words[1].strip("/"))
    rest = words[2:]
    if name in TAKES_NUMBER and rest and _NUMBER.match(rest[0]):
        command.number = int(_NUMBER.match(rest[0]).group(1))  # type: ignore[union-attr]
        rest = rest[1:]
    if name in NEEDS_NUMBER and command.number is None:
        raise CommandError(f"which build? e.g. {inline_code(f'{name} {words[1]} #42')}")
    if name in ("approve", "reject") and rest and not _PARAMETER.match(rest[0]):
        command.input_id, rest = rest[0], rest[1:]
    if rest and name not in TAKES_PARAMETERS:
        raise CommandError(f"`{name}` takes only a job name" + (" and a build number" if name in TAKES_NUMBER
                                                                  else ""))
    for word in rest:
        match = _PARAMETER.match(word)
        if not match:
            raise CommandError(f"{inline_code(word)} is not a parameter; write `NAME=value`")
        command.parameters[match.group(1)] = match.group(2)
    return command
