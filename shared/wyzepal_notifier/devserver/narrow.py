"""Narrows (search filters) shared by GET /messages and event queues.

Both the legacy ``[["channel", "x"]]`` and the modern
``[{"operator": "channel", "operand": "x", "negated": false}]`` forms are
accepted.  Terms are matched against the API-shaped message dict, so what a
client filters on is exactly what it receives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Sequence, Union

from .responses import ApiError

Operand = Union[str, int, List[Any]]

_ALIASES = {"stream": "channel", "streams": "channels", "subject": "topic", "pm-with": "dm"}
_IS_OPERANDS = {"dm", "private", "mentioned", "starred", "unread", "alerted"}


@dataclass(frozen=True)
class Term:
    """One filter: operator (canonical name), operand, and whether it is negated."""

    operator: str
    operand: Any
    negated: bool = False


def parse_narrow(raw: Any) -> List[Term]:
    """Validate and normalise a decoded ``narrow`` parameter."""
    if raw in (None, "", []):
        return []
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise ApiError("Invalid narrow")
    return [_parse_term(item) for item in raw]


def _parse_term(item: Any) -> Term:
    if isinstance(item, dict):
        operator, operand = item.get("operator"), item.get("operand")
        negated = bool(item.get("negated", False))
    elif isinstance(item, (list, tuple)) and len(item) == 2:
        operator, operand = item
        negated = False
    else:
        raise ApiError("Invalid narrow")
    if not isinstance(operator, str) or operand is None:
        raise ApiError("Invalid narrow")
    operator = _ALIASES.get(operator, operator)
    if operator not in _MATCHERS:
        raise ApiError(f"Invalid narrow operator: unknown operator {operator}")
    if operator == "is" and operand not in _IS_OPERANDS:
        raise ApiError(f"Invalid narrow operator: unknown 'is' operand {operand}")
    return Term(operator, operand, negated)


def channel_names(terms: Sequence[Term]) -> List[str]:
    """Positive channel names in a narrow (they open the channel's shared history)."""
    return [str(t.operand) for t in terms if t.operator == "channel" and not t.negated]


def wants_public_channels(terms: Sequence[Term]) -> bool:
    """True for ``channels:public``, which searches every public channel."""
    return any(t.operator == "channels" and not t.negated for t in terms)


def matches(terms: Sequence[Term], message: Dict[str, Any], viewer_id: int) -> bool:
    """Whether an API message dict (with ``flags``) passes every term."""
    return all(_MATCHERS[t.operator](t.operand, message, viewer_id) != t.negated for t in terms)


def _same(a: Any, b: Any) -> bool:
    return str(a).strip().lower() == str(b).strip().lower()


def _user_refs(operand: Operand) -> List[Any]:
    if isinstance(operand, list):
        return operand
    if isinstance(operand, int):
        return [operand]
    return [part for part in str(operand).split(",") if part.strip()]


def _is_user(ref: Any, user: Dict[str, Any]) -> bool:
    if isinstance(ref, int) or str(ref).strip().isdigit():
        return int(ref) == user["id"]
    return _same(ref, user["email"])


def _participants(message: Dict[str, Any]) -> List[Dict[str, Any]]:
    recipient = message["display_recipient"]
    return recipient if isinstance(recipient, list) else []


def _channel(operand: Operand, message: Dict[str, Any], viewer_id: int) -> bool:
    if message["type"] != "stream":
        return False
    if isinstance(operand, int) or str(operand).isdigit():
        if message["stream_id"] == int(operand):
            return True
    return _same(operand, message["display_recipient"])


def _channels(operand: Operand, message: Dict[str, Any], viewer_id: int) -> bool:
    return message["type"] == "stream"


def _topic(operand: Operand, message: Dict[str, Any], viewer_id: int) -> bool:
    return message["type"] == "stream" and _same(operand, message["subject"])


def _is(operand: Operand, message: Dict[str, Any], viewer_id: int) -> bool:
    flags = message.get("flags", [])
    if operand in ("dm", "private"):
        return message["type"] == "private"
    if operand == "unread":
        return "read" not in flags
    if operand == "alerted":
        return "has_alert_word" in flags
    return operand in flags  # mentioned, starred


def _dm(operand: Operand, message: Dict[str, Any], viewer_id: int) -> bool:
    """The conversation of exactly the viewer and the named users."""
    if message["type"] != "private":
        return False
    people = _participants(message)
    named = set()
    for ref in _user_refs(operand):
        ids = [u["id"] for u in people if _is_user(ref, u)]
        if not ids:
            return False
        named.add(ids[0])
    return {u["id"] for u in people} == named | {viewer_id}


def _dm_including(operand: Operand, message: Dict[str, Any], viewer_id: int) -> bool:
    people = _participants(message)
    return any(_is_user(ref, u) for ref in _user_refs(operand) for u in people)


def _sender(operand: Operand, message: Dict[str, Any], viewer_id: int) -> bool:
    if operand == "me":
        return message["sender_id"] == viewer_id
    sender = {"id": message["sender_id"], "email": message["sender_email"]}
    return _is_user(operand, sender)


def _id(operand: Operand, message: Dict[str, Any], viewer_id: int) -> bool:
    return str(operand).strip() == str(message["id"])


def _search(operand: Operand, message: Dict[str, Any], viewer_id: int) -> bool:
    text = f"{message['subject']} {message['content']}".lower()
    return all(word in text for word in str(operand).lower().split())


def _near(operand: Operand, message: Dict[str, Any], viewer_id: int) -> bool:
    return True  # only moves the anchor in the web app; no filtering on the server


_MATCHERS: Dict[str, Callable[[Operand, Dict[str, Any], int], bool]] = {
    "channel": _channel,
    "channels": _channels,
    "topic": _topic,
    "is": _is,
    "dm": _dm,
    "dm-including": _dm_including,
    "sender": _sender,
    "id": _id,
    "search": _search,
    "near": _near,
}
