"""A pipeline waiting at an ``input`` step, said in chat: the question, the choices, how to answer.

``action`` is one entry of pipeline-rest-api's ``wfapi/pendingInputActions``
(id, message, proceedText, inputs with their definitions); all of it is the
pipeline author's free text, so it passes the safe formatting.
"""
from __future__ import annotations

from typing import Any, Mapping

from wyzepal_notifier.formatting import bold, bullet_list, inline_code, link, plain, truncate

from ..api.client import display_name

QUESTION_LIMIT = 300


def input_text(job: str, number: int, url: str, action: Mapping[str, Any], *, several: bool = False,
               reactions: bool = False) -> str:
    label = f"{display_name(job)} #{number}"
    where = link(label, url) if url else bold(label)
    question = plain(truncate(" ".join(str(action.get("message") or "Proceed?").split()), QUESTION_LIMIT))
    ok = str(action.get("proceedText") or "Proceed")
    lines = [f":raised_hand: {where} **is waiting for input**: {question}",
             f"Choices: {bold(ok)} or {bold('Abort')}"]
    fields = [_field(entry) for entry in action.get("inputs") or [] if isinstance(entry, Mapping)]
    if fields:
        lines.append("Parameters:\n" + bullet_list(fields))
    command = f"{job} #{number}" + (f" {action.get('id')}" if several else "")
    lines.append(f"Answer with {inline_code('approve ' + command)} (add `NAME=value` to set a parameter) "
                 f"or {inline_code('reject ' + command)}" + (", or react with :check: or :cross_mark:" if reactions
                                                             else "") + ".")
    return "\n".join(lines)


def _field(entry: Mapping[str, Any]) -> str:
    definition = entry.get("definition") if isinstance(entry.get("definition"), Mapping) else {}
    text = inline_code(str(entry.get("name") or "?"))
    choices = definition.get("choices")
    if isinstance(choices, list) and choices:
        text += " one of " + ", ".join(inline_code(str(choice)) for choice in choices[:10])
    default = definition.get("defaultVal")
    if default not in (None, "") and "Password" not in str(entry.get("type") or ""):
        text += f" (default {inline_code(str(default))})"
    description = str(entry.get("description") or "").strip()
    if description:
        text += f": {plain(truncate(description, 120))}"
    return text


def input_defaults(action: Mapping[str, Any]) -> dict[str, str]:
    """Each parameter's default, as the input form would submit it untouched (booleans as Jenkins writes them)."""
    values: dict[str, str] = {}
    for entry in action.get("inputs") or []:
        if not isinstance(entry, Mapping) or not entry.get("name"):
            continue
        definition = entry.get("definition") if isinstance(entry.get("definition"), Mapping) else {}
        default = definition.get("defaultVal")
        if isinstance(default, bool):
            default = "true" if default else "false"
        values[str(entry["name"])] = "" if default is None else str(default)
    return values
