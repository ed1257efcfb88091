"""The Trac side: listener and admin panel components (abstract bases), config lookup, held events.

Concrete components live in ``wyzepal_trac.plugin`` (the ``trac.plugins`` entry point)
and in the single-file plugin ``wyzepal_trac_plugin.py``.
"""
from .admin import WyzePalAdminPanelBase
from .listener import WyzePalListenCommandBase
from .notifier import WyzePalNotifierBase

__all__ = ["WyzePalAdminPanelBase", "WyzePalListenCommandBase", "WyzePalNotifierBase"]
