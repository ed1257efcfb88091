"""Admin > WyzePal: the config in use, the outbox, "send test message" and "retry dead messages"."""
from __future__ import annotations

import os
from typing import Any, Optional

from trac.admin.api import IAdminPanelProvider
from trac.core import Component, implements
from trac.ticket.api import TicketSystem
from trac.web.chrome import ITemplateProvider, add_notice, add_warning
from wyzepal_notifier import Message, WyzePalError
from wyzepal_notifier.formatting import plain

from ..settings import INI_SWITCHES
from ..spools import retry_dead
from .notifier import WyzePalNotifierBase
from .status_view import configuration_rows, outbox_rows, settings_rows, switch_rows

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates")
TEST_TOPIC = "trac test"
TEST_TIMEOUT = 5.0


class WyzePalAdminPanelBase(Component):
    """The admin panel; abstract for the same reason as the notifier."""

    abstract = True
    implements(IAdminPanelProvider, ITemplateProvider)

    # ITemplateProvider

    def get_templates_dirs(self) -> list[str]:
        return [TEMPLATES]

    def get_htdocs_dirs(self) -> list:
        return []

    # IAdminPanelProvider

    def get_admin_panels(self, req: Any):
        if "TRAC_ADMIN" in req.perm("admin", "general/wyzepal"):
            yield ("general", "General", "wyzepal", "WyzePal")

    def render_admin_panel(self, req: Any, category: str, page: str, path_info: Optional[str]):
        req.perm("admin", "general/wyzepal").require("TRAC_ADMIN")
        notifier = self.notifier()
        if req.method == "POST" and notifier is not None:
            if "retry" in req.args:
                self._retry_dead(req, notifier)
            else:
                self._send_test(req, notifier)
            req.redirect(req.href.admin(category, page))
        integration = notifier.announcer.integration() if notifier is not None else None
        for note in integration.ticket_topics.tell_refusals() if integration is not None else ():
            add_warning(req, note)  # a topic move or resolve the server refused, and the setting to change
        return "wyzepal_admin.html", self._data(notifier)

    def notifier(self) -> Optional[WyzePalNotifierBase]:
        """The enabled notifier component (entry-point or single-file), if any."""
        for listener in TicketSystem(self.env).change_listeners:
            if isinstance(listener, WyzePalNotifierBase):
                return listener
        return None

    def _data(self, notifier: Optional[WyzePalNotifierBase]) -> dict[str, Any]:
        data: dict[str, Any] = {"enabled": notifier is not None, "base_url": self.config.get("trac", "base_url")}
        if notifier is None:
            return data
        announcer = notifier.announcer
        integration = announcer.integration()
        data.update(problem=announcer.problem, not_set_up=announcer.not_set_up, held=announcer.held.count())
        if integration is not None:
            data.update(config_path=integration.settings.path, settings=settings_rows(integration),
                        switches=switch_rows(integration, notifier.ini_defaults(), INI_SWITCHES),
                        configurations=configuration_rows(integration), outbox=self._outbox_rows(integration),
                        dead=self._dead_count(integration), shared_spool=self._shared_spool(integration))
        return data

    def _dead_count(self, integration: Any) -> int:
        try:
            return integration.outbox.status().dead
        except WyzePalError:
            return 0

    def _shared_spool(self, integration: Any) -> Optional[dict[str, Any]]:
        """The old shared spool this environment still delivers from, with its messages still waiting."""
        integration.outbox  # noqa: B018 - opening the outbox is what looks at the old shared spool
        shared = integration.shared_spool
        if shared is None:
            return None
        return {"path": str(shared.path), "waiting": shared.waiting()}

    def _outbox_rows(self, integration: Any) -> list[tuple[str, str]]:
        try:
            return outbox_rows(integration.outbox.status())
        except WyzePalError as exc:
            return [("problem", str(exc))]

    def _retry_dead(self, req: Any, notifier: WyzePalNotifierBase) -> None:
        """Dead messages go out again as the bot of the config in use (fixed since, presumably)."""
        integration = notifier.announcer.integration()
        if integration is None:
            add_warning(req, f"Nothing retried: {notifier.announcer.problem}")
            return
        count = retry_dead(integration.outbox, integration.settings.credentials, integration.user_agent_name(),
                           integration.version)
        if not count:
            add_notice(req, "There were no dead messages to retry.")
            return
        delivered = integration.outbox.flush(TEST_TIMEOUT)
        status = integration.outbox.status()
        if delivered and not status.dead:
            add_notice(req, f"{count} dead message(s) retried and delivered.")
        else:
            add_warning(req, f"{count} dead message(s) retried: {status.dead} refused again, {status.pending} not "
                        f"delivered within {TEST_TIMEOUT:.0f} s ({status.last_error or 'no answer yet'}).")

    def _send_test(self, req: Any, notifier: WyzePalNotifierBase) -> None:
        """Through the outbox like every notification; wait a little to say how it went."""
        integration = notifier.announcer.integration()
        if integration is None:
            add_warning(req, f"No test message: {notifier.announcer.problem}")
            return
        stream = integration.settings["STREAM_FOR_NOTIFICATIONS"]
        message = Message.to_stream(stream, TEST_TOPIC, f"Test message from Trac {plain(self.env.project_name)}, "
                                    f"sent by {plain(req.authname)} from Admin > WyzePal.")
        if not integration.send(message):
            add_warning(req, "The test message could not be queued; see Trac's log.")
        elif integration.outbox.flush(TEST_TIMEOUT):
            add_notice(req, f"Test message delivered to #{stream} > {TEST_TOPIC}.")
        else:
            error = integration.outbox.status().last_error or "no answer yet"
            add_warning(req, f"Test message queued but not delivered within {TEST_TIMEOUT:.0f} s ({error}); "
                        "it will be retried.")
