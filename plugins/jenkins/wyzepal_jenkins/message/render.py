"""One build, one configuration: the message, or None when its NOTIFY_* switch is off."""
from __future__ import annotations

import string
from typing import Any, Iterable, Mapping, Optional

from wyzepal_notifier import ConfigError, Message
from wyzepal_notifier.integration import Configuration

from ..api.client import display_name
from ..build.model import Build
from ..fields import notify_setting
from .parts import Parts

#: Placeholders a TOPIC may use.
TOPIC_FIELDS = ("job", "branch", "number", "result", "kind")


def render(conf: Configuration, event: Mapping[str, Any]) -> Optional[Message]:
    build: Build = event["build"]
    if not conf.get(notify_setting(build.kind)):
        return None
    return Message.to_stream(conf.stream, topic(conf, build), content(conf, build))


def content(settings: Mapping[str, Any], build: Build, now_ms: Optional[int] = None) -> str:
    parts = Parts(settings, build, now_ms)
    values = parts.mapping()
    values["default"] = standard(values)
    templates = settings.get("MESSAGE_TEMPLATES") or {}
    template = templates.get(build.kind) or templates.get(build.result or "")
    return template.format_map(values) if template else values["default"]


def standard(values: Mapping[str, str]) -> str:
    """The house layout: headline, details, changes, culprits, new failures, tests, the console's end."""
    lines = [f"{values['marker']} {values['link']} {values['headline']}"]
    blocks = [values["details"], values["changes"],
              f"**Culprits**: {values['culprits']}" if values["culprits"] else "", values["new_failures"],
              values["tests"], values["log"]]
    body = "\n\n".join(block for block in blocks if block)
    return lines[0] + ("\n" + body if body else "")


def topic(settings: Mapping[str, Any], build: Build) -> str:
    """TOPIC with ``{job}``, ``{branch}``... filled in; the job's full name by default."""
    values = {"job": display_name(build.job), "branch": build.branch or "", "number": str(build.number),
              "result": build.result or "BUILDING", "kind": build.kind}
    return (settings.get("TOPIC") or "{job}").format_map(values).strip() or build.job


def check_templates(path: str, settings_list: Iterable[Mapping[str, Any]]) -> None:
    """Refuse at load time a template naming a placeholder that does not exist."""
    allowed = set(Parts.placeholders()) | {"default"}
    for settings in settings_list:
        for key, template in (settings.get("MESSAGE_TEMPLATES") or {}).items():
            _check(template, allowed, path, f"MESSAGE_TEMPLATES[{key!r}]")
            if settings.get("LIVING_MESSAGE") and not any(f"{{{name}}}" in template
                                                          for name in ("link", "url", "default")):
                raise ConfigError("has no {link}, {url} or {default}", path=path, key=f"MESSAGE_TEMPLATES[{key!r}]",
                                  expected="the build's address in the message: with LIVING_MESSAGE, a process "
                                           "that did not post the build's message finds it by that address",
                                  fix="put {link} (or {url}) in the template")
        if settings.get("TOPIC"):
            _check(settings["TOPIC"], set(TOPIC_FIELDS), path, "TOPIC")
        pushes = settings.get("PUSH_ANNOUNCEMENTS") or {}
        if pushes.get("topic"):
            _check(pushes["topic"], {"branch", "job"}, path, "PUSH_ANNOUNCEMENTS['topic']")


def _check(template: str, allowed: set[str], path: str, key: str) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ConfigError(f"is not a valid template ({exc})", path=path, key=key,
                          fix="write placeholders as {name}, and literal braces as {{ and }}") from None
    unknown = sorted(name for name in names if name not in allowed)
    if unknown:
        raise ConfigError(f"uses the unknown placeholder {{{unknown[0]}}}", path=path, key=key,
                          expected=f"placeholders among {', '.join(sorted(allowed))}",
                          fix=f"use one of those instead of {{{unknown[0]}}}")
    try:  # every value is text: a format spec such as {duration:d} would fail each build, so fail now
        template.format_map(dict.fromkeys(allowed, ""))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"cannot be filled in ({exc})", path=path, key=key,
                          fix="write placeholders as plain {name}, without a format spec or conversion") from None
