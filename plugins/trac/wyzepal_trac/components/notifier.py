"""The Trac component that listens to tickets, wiki, changesets and milestones.

Abstract here: ``wyzepal_trac.plugin`` (the ``trac.plugins`` entry point) and the
single-file plugin each declare a concrete subclass, so each install way has
its own component name to enable (``wyzepal_trac.*`` or ``wyzepal_trac_plugin.*``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

from trac.config import PathOption
from trac.core import Component, implements
from trac.env import IEnvironmentSetupParticipant
from trac.ticket.api import IMilestoneChangeListener, ITicketChangeListener, TicketSystem
from trac.versioncontrol.api import IRepositoryChangeListener
from trac.wiki.api import IWikiChangeListener

from ..events import changeset, milestone, ticket, wiki
from .announcer import Announcer
from .config_file import find_config
from .guard import guarded
from .held_events import HeldEvents
from .log_bridge import bridge_library_log


class WyzePalNotifierBase(Component):
    """Announces Trac events in WyzePal channels, routed by the config file's configurations."""

    abstract = True
    implements(ITicketChangeListener, IWikiChangeListener, IRepositoryChangeListener, IMilestoneChangeListener,
               IEnvironmentSetupParticipant)

    config_file = PathOption("wyzepal", "config", "", doc="""Path to `wyzepal_trac_config.py` (relative
        paths are relative to the folder of trac.ini). When empty, `$WYZEPAL_TRAC_CONFIG`, then the file
        in the environment's `plugins/` folder, then the one beside trac.ini are used (WyzePal plugin).""")

    def __init__(self) -> None:
        bridge_library_log(self.log)
        self.announcer = Announcer(self.locate_config, HeldEvents.for_environment(self.env.path), self.log)
        self._in_charge: Optional[bool] = None

    def locate_config(self) -> Path:
        return find_config(self.config_file or None, self.config_folders())

    def config_folders(self) -> list[str]:
        """Where the config file is looked for when trac.ini names none."""
        return [self.env.plugins_dir, self.env.conf_dir]

    def in_charge(self) -> bool:
        """With both install ways enabled, only the first notifier announces: no double messages."""
        if self._in_charge is None:
            notifiers = [listener for listener in TicketSystem(self.env).change_listeners
                         if isinstance(listener, WyzePalNotifierBase)]
            self._in_charge = not notifiers or notifiers[0] is self
            if len(notifiers) > 1 and self._in_charge:
                self.log.warning("WyzePal: both %s are enabled; only %s announces. Disable one in [components].",
                                 " and ".join(type(n).__module__ for n in notifiers), type(self).__module__)
        return self._in_charge

    def _announce(self, build: Callable[..., Optional[dict[str, Any]]], *args: Any) -> None:
        if not self.in_charge():
            return
        event = build(self.env, *args)
        if event is not None:
            self.announcer.announce(event)

    # IEnvironmentSetupParticipant: called when Trac opens the environment, a good time to check.

    def environment_created(self) -> None:
        """Nothing to create: the plugin keeps no tables."""

    @guarded
    def environment_needs_upgrade(self, *args: Any) -> bool:
        """Not an upgrade check: report a missing base_url or a broken config at startup."""
        if not self.config.get("trac", "base_url"):
            self.log.warning("WyzePal: [trac] base_url is not set in trac.ini, so links in messages will be "
                             "relative and will not open from the chat; set it to this Trac's public address")
        self.announcer.integration()
        return False

    def upgrade_environment(self, *args: Any) -> None:
        """Nothing to upgrade."""

    # ITicketChangeListener

    @guarded
    def ticket_created(self, ticket_: Any) -> None:
        self._announce(ticket.created, ticket_)

    @guarded
    def ticket_changed(self, ticket_: Any, comment: str, author: str, old_values: dict) -> None:
        self._announce(ticket.changed, ticket_, comment, author, old_values)

    @guarded
    def ticket_deleted(self, ticket_: Any) -> None:
        self._announce(ticket.deleted, ticket_)

    @guarded
    def ticket_comment_modified(self, ticket_: Any, cdate: Any, author: str, comment: str, old_comment: str) -> None:
        self._announce(ticket.comment_edited, ticket_, cdate, author, comment, old_comment)

    def ticket_change_deleted(self, ticket_: Any, cdate: Any, changes: dict) -> None:
        """Undoing a change is not announced."""

    # IWikiChangeListener

    @guarded
    def wiki_page_added(self, page: Any) -> None:
        self._announce(wiki.added, page)

    @guarded
    def wiki_page_changed(self, page: Any, version: int, t: Any, comment: str, author: str) -> None:
        self._announce(wiki.changed, page, version, comment, author)

    @guarded
    def wiki_page_deleted(self, page: Any) -> None:
        self._announce(wiki.deleted, page)

    @guarded
    def wiki_page_renamed(self, page: Any, old_name: str) -> None:
        self._announce(wiki.renamed, page, old_name)

    def wiki_page_version_deleted(self, page: Any) -> None:
        """Deleting an old version is housekeeping, not news."""

    def wiki_page_comment_modified(self, page: Any, old_comment: str) -> None:
        """Editing a version's comment is not announced."""

    # IRepositoryChangeListener

    @guarded
    def changeset_added(self, repos: Any, changeset_: Any) -> None:
        self._announce(changeset.added, repos, changeset_)

    def changeset_modified(self, repos: Any, changeset_: Any, old_changeset: Any) -> None:
        """A rewritten commit message is not announced."""

    # IMilestoneChangeListener

    @guarded
    def milestone_created(self, milestone_: Any) -> None:
        self._announce(milestone.created, milestone_)

    @guarded
    def milestone_changed(self, milestone_: Any, old_values: dict) -> None:
        self._announce(milestone.completed, milestone_, old_values)

    def milestone_deleted(self, milestone_: Any) -> None:
        """Not announced."""
