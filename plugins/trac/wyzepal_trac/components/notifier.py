"""The Trac component that listens to tickets, wiki, changesets and milestones.

Abstract here: ``wyzepal_trac.plugin`` (the ``trac.plugins`` entry point) and the
single-file plugin each declare a concrete subclass, so each install way has
its own component name to enable (``wyzepal_trac.*`` or ``wyzepal_trac_plugin.*``).
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

from trac.attachment import IAttachmentChangeListener
from trac.config import BoolOption, Option, PathOption
from trac.core import Component, ExtensionPoint, implements
from trac.env import IEnvironmentSetupParticipant
from trac.notification.api import INotificationDistributor, INotificationFormatter
from trac.ticket.api import IMilestoneChangeListener, ITicketChangeListener, TicketSystem
from trac.versioncontrol.api import IRepositoryChangeListener
from trac.web.api import IRequestFilter
from trac.wiki.api import IWikiChangeListener

from ..events import attachment, batch, changeset, milestone, ticket, wiki
from ..settings import INI_SWITCHES
from .announcer import Announcer
from .batches import BatchGatherer
from .config_file import find_config
from .guard import guarded
from .held_events import HeldEvents
from .log_bridge import bridge_library_log
from .transport import STYLE, TransportMixin

#: Seconds a found config file's place is trusted before the search runs again.
RELOCATE_SECONDS = 5.0


class WyzePalNotifierBase(TransportMixin, Component):
    """Announces Trac events in WyzePal channels, routed by the config file's configurations.

    Also the ``wyzepal`` transport of Trac's notifications (see ``transport``).
    """

    abstract = True
    implements(ITicketChangeListener, IWikiChangeListener, IRepositoryChangeListener, IMilestoneChangeListener,
               IAttachmentChangeListener, IRequestFilter, INotificationDistributor, INotificationFormatter,
               IEnvironmentSetupParticipant)

    formatters = ExtensionPoint(INotificationFormatter)

    config_file = PathOption("wyzepal", "config", "", doc="""Path to `wyzepal_trac_config.py` (relative
        paths are relative to the folder of trac.ini). When empty, `$WYZEPAL_TRAC_CONFIG`, then the file
        in the environment's `plugins/` folder, then the one beside trac.ini are used. The bot's site,
        email and API key stay in that file, never here (WyzePal plugin).""")

    move_topic_on_rename = BoolOption("wyzepal", "move_topic_on_rename", "true", doc="""When a ticket's
        summary changes, move its WyzePal topic (`#123: Old summary`) to the new summary, so the ticket
        keeps one topic. `TRAC_MOVE_TOPIC_ON_RENAME` in the config file, when set there (at the top or
        in a configuration), wins over this option (WyzePal plugin).""")

    resolve_topic_on_close = BoolOption("wyzepal", "resolve_topic_on_close", "true", doc="""When a ticket
        is closed, mark its WyzePal topic resolved (the `✔ ` prefix); reopening unresolves it.
        `TRAC_RESOLVE_TOPIC_ON_CLOSE` in the config file, when set there, wins over this option
        (WyzePal plugin).""")

    default_format = Option("notification", "default_format.wyzepal", STYLE, doc="""Default format of the
        direct messages of users who chose WyzePal in Preferences > Notifications (WyzePal plugin).""")

    def __init__(self) -> None:
        bridge_library_log(self.log)
        self.announcer = Announcer(self.locate_config, HeldEvents.for_environment(self.env.path), self.log,
                                   env_path=self.env.path, ini_defaults=self.ini_defaults)
        self.batches = BatchGatherer()
        self._in_charge: Optional[bool] = None
        self._spool_opened = False
        self._located: Optional[tuple[Path, float]] = None

    def ini_defaults(self) -> dict[str, bool]:
        """trac.ini's switches, as defaults the config file's own values override."""
        return {setting: self.config.getbool("wyzepal", option, True) for setting, option in INI_SWITCHES.items()}

    def locate_config(self) -> Path:
        """The config file; the search (a few stats) is repeated at most every ``RELOCATE_SECONDS``.

        Every event checks the found file's stamp, so edits are seen at once; a new file in a place
        searched earlier is found within seconds. Not finding one is never remembered.
        """
        now = time.monotonic()
        if self._located is None or now - self._located[1] > RELOCATE_SECONDS:
            self._located = (find_config(self.config_file or None, self.config_folders()), now)
        return self._located[0]

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

    def _announce_event(self, event: dict[str, Any]) -> None:
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
        if self.batches.gathering():
            if self.in_charge():
                self.batches.add(ticket.changed(self.env, ticket_, comment, author, old_values))
            return
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

    # IAttachmentChangeListener: files of tickets and wiki pages

    @guarded
    def attachment_added(self, attachment_: Any) -> None:
        self._announce(attachment.added, attachment_, self._ticket_of(attachment_))

    @guarded
    def attachment_deleted(self, attachment_: Any) -> None:
        if attachment_.parent_realm == "wiki" and not self._page_exists(attachment_.parent_id):
            return  # the page was deleted with its files: its own message says so
        self._announce(attachment.deleted, attachment_, self._ticket_of(attachment_))

    def attachment_moved(self, attachment_: Any, old_parent_realm: str, old_parent_id: str,
                         old_filename: str) -> None:
        """Moving a file (a wiki page renamed) is not announced."""

    def attachment_reparented(self, attachment_: Any, old_parent_realm: str, old_parent_id: str) -> None:
        """Older Trac's name for a move; not announced."""

    def _ticket_of(self, attachment_: Any) -> Any:
        if attachment_.parent_realm != "ticket":
            return None
        from trac.ticket.model import Ticket

        return Ticket(self.env, int(attachment_.parent_id))

    def _page_exists(self, name: str) -> bool:
        from trac.wiki.model import WikiPage

        return WikiPage(self.env, name).exists

    # IRequestFilter: a batch modify's tickets become one event

    def pre_process_request(self, req: Any, handler: Any) -> Any:
        if not self._spool_opened:
            self._open_spool_soon()
        if self.batches.is_batch(req):
            self._start_batch(req)
        return handler

    def _open_spool_soon(self) -> None:
        """At the first request, open the spool in the background: what an earlier run left there (or in
        the old shared spool) goes out without waiting for the next event. Not at environment startup,
        which every trac-admin command goes through too."""
        self._spool_opened = True
        if self.in_charge():
            threading.Thread(target=self._open_spool, name="wyzepal-trac-open", daemon=True).start()

    def _open_spool(self) -> None:
        try:
            integration = self.announcer.integration()
            if integration is not None:
                integration.outbox  # noqa: B018 - opening it starts delivery of what waits
        except Exception:
            self.log.exception("WyzePal: opening the outbox failed")

    def post_process_request(self, req: Any, template: Any, data: Any, metadata: Any = None) -> tuple:
        """A batch request answered without a redirect (refused by a validator) saved nothing."""
        if self.batches.gathering():
            self.batches.finish()
        return template, data, metadata

    @guarded
    def _start_batch(self, req: Any) -> None:
        left = self.batches.start()
        if left:
            self.log.info("WyzePal: dropped %d change(s) of a batch modify that failed (Trac rolled it back)",
                          len(left))
        req.add_redirect_listener(self._batch_saved)

    @guarded
    def _batch_saved(self, req: Any, url: str, permanent: bool) -> None:
        changes = self.batches.finish()
        if len(changes) == 1:
            self.announcer.announce(changes[0])
        elif changes:
            self.announcer.announce(batch.modified(self.env, changes))

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
