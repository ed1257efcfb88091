"""Chat text to a command: ``build <job> [NAME=value ...]``, ``status <job>``, ``last <job>``, ``queue``, ``help``.

Job names with spaces can be quoted (``build "my app"``), as in a shell. What the
person typed is echoed in code spans only, so an error cannot make the bot mention
``@**all**``.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from wyzepal_notifier.formatting import inline_code

COMMANDS = ("build", "status", "last", "queue", "help")
NEEDS_JOB = ("build", "status", "last")
_LEADING_MENTION = re.compile(r"^\s*@_?\*\*[^*]+\*\*[\s:,]*")
_PARAMETER = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$", re.DOTALL)


@dataclass
class Command:
    name: str
    job: str = ""
    parameters: dict[str, str] = field(default_factory=dict)


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
    if rest and name != "build":
        raise CommandError(f"`{name}` takes only a job name")
    for word in rest:
        match = _PARAMETER.match(word)
        if not match:
            raise CommandError(f"{inline_code(word)} is not a parameter; write `NAME=value`")
        command.parameters[match.group(1)] = match.group(2)
    return command
