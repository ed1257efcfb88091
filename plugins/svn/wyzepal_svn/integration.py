"""The Subversion integration's settings, declared once with their defaults and help."""
from __future__ import annotations

from wyzepal_notifier import Field, Integration
from wyzepal_notifier.scripthook import cap_field, destination_field, template_field
from wyzepal_notifier.scripthook.paths import path_fields


class SvnIntegration(Integration):
    """Announces revisions (``post-commit``), locks (``post-lock``/``post-unlock``) and revision property changes
    (``post-revprop-change``: an edited ``svn:log`` edits the revision's message)."""

    integration_id = "svn"
    name = "Subversion"
    description = "Announces commits from a Subversion post-commit hook"
    settings_fields = [
        template_field("TOPIC", ["repo"], default="{repo}", help="the topic; default: the repository's name"),
        template_field("REVISION_URL", ["revision", "repo"], example="https://trac.example.com/changeset/{revision}",
                       help="link for the revision number (Trac, ViewVC, WebSVN ...)"),
        template_field("LOCK_TOPIC", ["repo"], default="locks",
                       help="the topic of lock and unlock notices (a configuration's own topic wins)"),
        cap_field("MAX_PATHS", 20, "path"),
        Field("DIFFSTAT", bool, default=False, help="True shows the lines added and removed per changed file"),
        *path_fields("revisions and locks"),
        Field("REPOSITORY_NAME", str, help="the name in messages; default: the repository folder's name"),
        Field("SVNLOOK_PATH", str, help="full path of svnlook when it is not in /usr/bin, /usr/local/bin or PATH"),
        destination_field("(path, commit)"),
    ]
