"""Neutral events built from Trac's objects: plain dicts of strings.

An event is what routing conditions look at (``component``, ``milestone``,
``type``, ``author``...) and what the renderers turn into messages. It holds no
Trac object, so it can wait (JSON) while the config is broken and be rendered
later, and renderers can be tested without Trac.
"""
from . import attachment, batch, changeset, milestone, ticket, wiki
from .common import EVENT_TYPES

__all__ = ["EVENT_TYPES", "attachment", "batch", "changeset", "milestone", "ticket", "wiki"]
