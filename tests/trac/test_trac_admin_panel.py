"""Admin > WyzePal rendered by Trac itself: the outbox's numbers and last error, the key hidden."""
from __future__ import annotations

import html
import re

import pytest


@pytest.fixture
def render_panel():
    """``render_panel(trac)``: the panel's HTML as Trac renders it for an admin, tags stripped."""
    import trac.admin.web_ui  # noqa: F401 - registers the admin templates the panel extends
    from trac.perm import PermissionSystem
    from trac.test import MockRequest
    from trac.web.chrome import Chrome
    from wyzepal_trac.plugin import WyzePalAdminPanel

    def render(trac) -> str:
        if "TRAC_ADMIN" not in PermissionSystem(trac.env).get_user_permissions("admin"):
            PermissionSystem(trac.env).grant_permission("admin", "TRAC_ADMIN")
        req = MockRequest(trac.env, authname="admin", path_info="/admin/general/wyzepal")
        panel = trac.env[WyzePalAdminPanel]
        template, data = panel.render_admin_panel(req, "general", "wyzepal", None)
        page = Chrome(trac.env).render_template(req, template, data, {"fragment": True})
        text = re.sub(r"<[^>]+>", " ", page.decode("utf-8") if isinstance(page, bytes) else str(page))
        return " ".join(html.unescape(text).split())

    return render


def test_the_panel_shows_dead_messages_and_the_servers_reason(make_trac, fresh_chat, render_panel):
    from wyzepal_trac.plugin import WyzePalAdminPanel

    trac = make_trac(extra=(WyzePalAdminPanel,), STREAM_FOR_NOTIFICATIONS="nowhere")
    trac.create_ticket(summary="Lost in routing")
    assert trac.flush()
    status = trac.notifier.announcer.integration().outbox.status()
    assert status.dead == 1 and status.last_error
    text = render_panel(trac)
    assert "dead (refused by the server) 1" in text
    assert "pending 0" in text
    assert f"last error {status.last_error}" in text and "nowhere" in status.last_error
    assert "WYZEPAL_API_KEY (set, hidden)" in text and "t" * 32 not in text


def test_the_panel_counts_messages_waiting_for_a_server_that_is_down(make_trac, fresh_chat, render_panel):
    from wyzepal_trac.plugin import WyzePalAdminPanel

    trac = make_trac(extra=(WyzePalAdminPanel,))
    fresh_chat.stop()
    try:
        trac.create_ticket(summary="One")
        trac.create_ticket(summary="Two")
        assert not trac.flush(1.0)
        assert "pending 2 waiting to retry" in render_panel(trac)
    finally:
        fresh_chat.start()
    assert trac.flush(30)
    text = render_panel(trac)
    assert "pending 0 waiting to retry 0 dead (refused by the server) 0 delivered 2" in text
