"""WyzePal notifications for Trac, the single-file way.

Copy this file and your ``wyzepal_trac_config.py`` into the environment's
``plugins/`` folder; Trac enables plugins found there. The library must be
installed in Trac's Python (``python3 -m pip install '.[trac]'`` from a clone). See
``plugins/trac/README.md``.

Use either this file or the ``wyzepal_trac.*`` components of the pip install,
not both (if both are enabled, only one announces and Trac's log says so).
"""
from wyzepal_trac.components import WyzePalAdminPanelBase, WyzePalListenCommandBase, WyzePalNotifierBase


class WyzePalNotifier(WyzePalNotifierBase):
    """Announces tickets, comments, wiki edits, changesets and milestones in WyzePal."""


class WyzePalAdminPanel(WyzePalAdminPanelBase):
    """Admin > WyzePal: the config in use, the outbox status and a test message."""


class WyzePalListenCommand(WyzePalListenCommandBase):
    """``trac-admin ENV wyzepal listen``: replies in ticket topics become comments; references get answers."""
