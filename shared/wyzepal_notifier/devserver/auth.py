"""HTTP Basic authentication of ``email:api_key``, with Zulip's 401 errors."""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Optional, Tuple

from .realm import Realm
from .responses import ApiError
from .store import User

CHALLENGE = {"WWW-Authenticate": 'Basic realm="zulip"'}


def parse_basic(header: Optional[str]) -> Optional[Tuple[str, str]]:
    """``Authorization: Basic base64(email:key)`` → ``(email, key)``; None if absent or malformed."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    email, sep, key = decoded.partition(":")
    return (email, key) if sep else None


def authenticate(realm: Realm, header: Optional[str]) -> User:
    """The user behind the header, or a 401 ApiError carrying ``WWW-Authenticate``.

    Missing credentials give ``UNAUTHORIZED``; a wrong email/key pair gives
    ``INVALID_API_KEY`` and a deactivated account ``USER_DEACTIVATED`` (spec codes).
    """
    credentials = parse_basic(header)
    if credentials is None:
        raise ApiError(
            "Not logged in: API authentication or user session required",
            "UNAUTHORIZED",
            401,
            headers=CHALLENGE,
        )
    email, key = credentials
    user = realm.store.user_by_email(email)
    if user is None or not hmac.compare_digest(user.api_key.encode(), key.encode()):
        raise ApiError("Invalid API key", "INVALID_API_KEY", 401, headers=CHALLENGE)
    if not user.is_active:
        raise ApiError("Account is deactivated", "USER_DEACTIVATED", 401, headers=CHALLENGE)
    return user
