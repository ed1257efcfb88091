"""WyzePal for git: a post-receive hook announcing pushes, branches and tags.

Install: make ``hooks/post-receive`` the ``wyzepal-git-post-receive`` command
(symlink or copy it) and put ``wyzepal_git_config.py`` beside it.
"""
from .integration import GitIntegration

__all__ = ["GitIntegration"]
