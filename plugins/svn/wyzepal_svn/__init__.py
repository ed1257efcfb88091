"""WyzePal for Subversion: hooks announcing revisions, locks and revision property changes.

Install: call ``wyzepal-svn-post-commit "$REPOS" "$REV"`` from ``hooks/post-commit``
(and, if wanted, ``wyzepal-svn-post-lock``, ``wyzepal-svn-post-unlock`` and
``wyzepal-svn-post-revprop-change`` from the hooks of the same names, with their
arguments) and put ``wyzepal_svn_config.py`` in the repository's ``hooks`` folder.
"""
from .integration import SvnIntegration

__all__ = ["SvnIntegration"]
