"""Which WyzePal user a Trac user's direct messages go to.

First ``TRAC_USERS`` in the config file (the admin's own table); then, only with
``TRAC_USERS_BY_EMAIL = True``, the email the user typed in their Trac
preferences. Trac does not check that email: anyone can type anyone's address
there and read their notifications, which is why it is off by default.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Mapping, Optional


class UserMap:
    """Trac user name → WyzePal email; says once per user (per config load) why one gets nothing."""

    def __init__(self, settings: Mapping[str, Any], log: logging.Logger) -> None:
        self.table: dict[str, str] = dict(settings.get("TRAC_USERS") or {})
        self.by_email = bool(settings.get("TRAC_USERS_BY_EMAIL"))
        self.path = getattr(settings, "path", "the config file")
        self.log = log
        self._told: set[str] = set()
        self._lock = threading.Lock()

    def wyzepal_user(self, trac_user: Optional[str], session_email: Optional[str]) -> Optional[str]:
        """The email of the WyzePal user to write to, or None (logged once)."""
        if trac_user and trac_user in self.table:
            return self.table[trac_user]
        if self.by_email and session_email and "@" in session_email:
            return session_email
        self._tell_once(trac_user or session_email or "(unknown)", session_email)
        return None

    def _tell_once(self, who: str, session_email: Optional[str]) -> None:
        with self._lock:
            if who in self._told:
                return
            self._told.add(who)
        if self.by_email:
            why = "is not in TRAC_USERS and set no email in their Trac preferences"
        elif session_email:
            why = "is not in TRAC_USERS (TRAC_USERS_BY_EMAIL is off, so their Trac email is not used)"
        else:
            why = "is not in TRAC_USERS"
        self.log.warning("Trac user %r chose WyzePal notifications but %s, so they get none; add them to "
                         "TRAC_USERS in %s", who, why, self.path)
