"""What the admin panel shows: the config in use (key hidden), the outbox, held events."""
from __future__ import annotations

import time
from typing import Any, Mapping, Optional

from wyzepal_notifier import Configuration

from ..integration import TracIntegration

#: Settings shown in the panel, in this order; the API key is only said to be set.
SHOWN_SETTINGS = ("WYZEPAL_SITE", "WYZEPAL_USER", "WYZEPAL_API_KEY", "STREAM_FOR_NOTIFICATIONS", "TOPIC",
                  "TRAC_TICKET_TOPIC", "TRAC_WIKI_TOPIC", "TRAC_CHANGESET_TOPIC", "TRAC_MILESTONE_TOPIC",
                  "TRAC_BATCH_TOPIC", "TRAC_NOTIFY_ON", "TRAC_NOTIFY_FIELDS", "TRAC_USERS", "TRAC_USERS_BY_EMAIL",
                  "TRAC_REFERENCE_STREAMS",
                  "WYZEPAL_INSECURE", "WYZEPAL_CERT_BUNDLE", "OUTBOX_PATH")


def settings_rows(integration: TracIntegration) -> list[tuple[str, str]]:
    settings = integration.settings
    rows = []
    for name in SHOWN_SETTINGS:
        value = settings.get(name)
        if name in settings.schema and settings.schema[name].secret:
            shown = "(set, hidden)" if value else "(not set)"
        else:
            shown = describe(value)
        rows.append((name, shown))
    return rows


def switch_rows(integration: TracIntegration, ini: Mapping[str, bool],
                options: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """The topic switches: the value in use and where it comes from (the config file wins over trac.ini)."""
    rows = []
    for setting, option in options.items():
        value = bool(integration.settings.get(setting))
        where = (f"trac.ini [wyzepal] {option}" if value == ini[setting]
                 else f"the config file's {setting} (trac.ini [wyzepal] {option} says {_on_off(ini[setting])})")
        rows.append((option, _on_off(value), where))
    return rows


def _on_off(value: bool) -> str:
    return "on" if value else "off"


def configuration_rows(integration: TracIntegration) -> list[dict[str, str]]:
    return [_configuration_row(conf) for conf in integration.configurations]


def _configuration_row(conf: Configuration) -> dict[str, str]:
    return {
        "description": conf.description,
        "enabled": "yes" if conf.enabled else "no",
        "conditions": ", ".join(f"{key} = {describe(value)}" for key, value in conf.conditions.items()) or "(all)",
        "stream": conf.stream,
        "overrides": ", ".join(f"{key} = {describe(value)}" for key, value in conf.own_settings.items()
                               if key != "WYZEPAL_API_KEY"),
    }


def outbox_rows(status: Any) -> list[tuple[str, str]]:
    data: Mapping[str, Any] = status.as_dict() if hasattr(status, "as_dict") else dict(status)
    return [
        ("spool", str(data.get("path", ""))),
        ("pending", str(data.get("pending", 0))),
        ("waiting to retry", str(data.get("waiting", 0))),
        ("dead (refused by the server)", str(data.get("dead", 0))),
        ("delivered", str(data.get("delivered", 0))),
        ("oldest pending", _when(data.get("oldest_pending"))),
        ("last error", _last_error(data)),
    ]


def _last_error(data: Mapping[str, Any]) -> str:
    if not data.get("last_error"):
        return "none"
    return f"{data['last_error']} ({_when(data.get('last_error_at'))})"


def _when(timestamp: Optional[float]) -> str:
    if not timestamp:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def describe(value: Any) -> str:
    """Values people can read: lists joined, callables by name, nothing as a dash."""
    if value is None or value == "":
        return "—"
    if callable(value):
        return f"<{getattr(value, '__name__', 'function')}>"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(describe(item) for item in value)
    return str(value)
