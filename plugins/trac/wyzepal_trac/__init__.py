"""WyzePal notifications from Trac: tickets, comments, wiki, changesets, milestones.

``wyzepal_trac.integration.TracIntegration`` is the integration (settings and
routing); ``wyzepal_trac.plugin`` holds the Trac components. Trac itself is
only imported by the components, so events, renderers and the wiki-markup
converter work without it.
"""
from wyzepal_notifier import __version__

__all__ = ["__version__"]
