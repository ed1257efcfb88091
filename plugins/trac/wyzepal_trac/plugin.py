"""The components of the pip install (the ``trac.plugins`` entry point).

Enable them in trac.ini::

    [components]
    wyzepal_trac.* = enabled
"""
from .components import WyzePalAdminPanelBase, WyzePalListenCommandBase, WyzePalNotifierBase


class WyzePalNotifier(WyzePalNotifierBase):
    """Announces tickets, comments, wiki edits, changesets and milestones in WyzePal."""


class WyzePalAdminPanel(WyzePalAdminPanelBase):
    """Admin > WyzePal: the config in use, the outbox status and a test message."""


class WyzePalListenCommand(WyzePalListenCommandBase):
    """``trac-admin ENV wyzepal listen``: replies in ticket topics become comments; references get answers."""
