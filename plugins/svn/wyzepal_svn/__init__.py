"""WyzePal for Subversion: a post-commit hook announcing each revision.

Install: call ``wyzepal-svn-post-commit "$REPOS" "$REV"`` from ``hooks/post-commit``
and put ``wyzepal_svn_config.py`` in the repository's ``hooks`` folder.
"""
from .integration import SvnIntegration

__all__ = ["SvnIntegration"]
