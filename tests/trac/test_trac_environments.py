"""Each Trac environment has its own spool; the old shared one is drained; dead messages retried; trac.ini options.

Real tracd processes run as one system user (one ``HOME``), as on a server
hosting several Trac projects, with the config file saying nothing about
``OUTBOX_PATH``.
"""
from __future__ import annotations

import html
import time

import requests
from tracd_rig import TracServer, trac_admin
from tracrig import BOT_EMAIL, BOT_KEY


def panel(server: TracServer, browser: requests.Session) -> str:
    page = browser.get(server.url + "/admin/general/wyzepal", timeout=10)
    assert page.status_code == 200
    return page.text


def wait_for_panel(server: TracServer, browser: requests.Session, text: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while True:
        page = panel(server, browser)
        if text in page or time.monotonic() > deadline:
            return page
        time.sleep(0.2)


def own_spool(server: TracServer):
    return server.env_path / "db" / "wyzepal-outbox.sqlite3"


def test_two_environments_of_one_user_keep_separate_spools_and_panels(tmp_path, chat, fresh_chat):
    home = tmp_path / "home"
    broken = TracServer(tmp_path / "a", chat.site, home=home, OUTBOX_PATH=None, STREAM_FOR_NOTIFICATIONS="triage")
    healthy = TracServer(tmp_path / "b", chat.site, home=home, OUTBOX_PATH=None)
    broken.start()
    healthy.start()
    try:
        broken_browser, healthy_browser = broken.login(), healthy.login()
        broken.ticket_id(broken.new_ticket(broken_browser, summary="To a channel that does not exist yet"))
        healthy_id = healthy.ticket_id(healthy.new_ticket(healthy_browser, summary="Fine"))
        [message] = fresh_chat.wait_for_messages(1, timeout=15)
        assert message["subject"] == f"#{healthy_id}: Fine"

        broken_page = wait_for_panel(broken, broken_browser, "<th>dead (refused by the server)</th><td>1</td>")
        assert "<th>dead (refused by the server)</th><td>1</td>" in broken_page
        assert f"<th>spool</th><td>{own_spool(broken)}</td>" in broken_page
        assert 'value="Retry dead messages"' in broken_page

        healthy_page = panel(healthy, healthy_browser)
        assert "<th>dead (refused by the server)</th><td>0</td>" in healthy_page
        assert "<th>delivered</th><td>1</td>" in healthy_page
        assert f"<th>spool</th><td>{own_spool(healthy)}</td>" in healthy_page
        assert 'value="Retry dead messages"' not in healthy_page
        assert own_spool(broken).is_file() and own_spool(healthy).is_file()
        assert not (home / ".local" / "state" / "wyzepal-integrations").exists()
    finally:
        broken.stop()
        healthy.stop()


def test_the_retry_button_sends_dead_messages_again_once_the_cause_is_fixed(tmp_path, chat, fresh_chat):
    server = TracServer(tmp_path, chat.site, home=tmp_path / "home", OUTBOX_PATH=None,
                        STREAM_FOR_NOTIFICATIONS="announcements").start()
    try:
        browser = server.login()
        ticket_id = server.ticket_id(server.new_ticket(browser, summary="Lost, then found"))
        wait_for_panel(server, browser, "<th>dead (refused by the server)</th><td>1</td>")
        assert fresh_chat.messages() == []
        response = server.post_form(browser, "/admin/general/wyzepal", retry="Retry dead messages")
        page = html.unescape(browser.get(response.headers["Location"], timeout=10).text)
        assert "1 dead message(s) retried: 1 refused again, 0 not delivered within 5 s" in page  # not fixed yet
        assert "announcements" in page.split("refused again", 1)[1].split("</", 1)[0]

        chat.add_stream("announcements")  # the fix: the channel the config names now exists
        response = server.post_form(browser, "/admin/general/wyzepal", retry="Retry dead messages")
        assert response.status_code == 303
        [message] = fresh_chat.wait_for_messages(1, timeout=15)
        assert message["display_recipient"] == "announcements"
        assert message["subject"] == f"#{ticket_id}: Lost, then found"
        page = browser.get(response.headers["Location"], timeout=10).text
        assert "1 dead message(s) retried and delivered." in page
        assert "<th>dead (refused by the server)</th><td>0</td>" in page
        assert 'value="Retry dead messages"' not in page
    finally:
        server.stop()


def test_messages_left_in_the_old_shared_spool_are_still_delivered(tmp_path, chat, fresh_chat):
    from wyzepal_notifier import Message
    from wyzepal_notifier.config.credentials import Credentials
    from wyzepal_notifier.outbox import Spool

    home = tmp_path / "home"
    shared = home / ".local" / "state" / "wyzepal-integrations" / "trac-outbox.sqlite3"
    spool = Spool(shared)
    sender = spool.save_sender(Credentials(chat.site, BOT_EMAIL, BOT_KEY), "WyzePalTrac", "old")
    spool.append(sender, Message.to_stream("trac", "#7: Old", "Left over from before the upgrade.").checked())
    spool.close()

    server = TracServer(tmp_path / "t", chat.site, home=home, OUTBOX_PATH=None).start()
    try:
        browser = server.login()  # the first request opens the spools
        [message] = fresh_chat.wait_for_messages(1, timeout=15)
        assert (message["subject"], message["content"]) == ("#7: Old", "Left over from before the upgrade.")
        page = wait_for_panel(server, browser, "Still waiting there: 0.")
        assert f"The old\n      shared spool <code>{shared}</code>" in page and "Still waiting there: 0." in page
        assert f"<th>spool</th><td>{own_spool(server)}</td>" in page

        fresh_chat.reset()
        ticket_id = server.ticket_id(server.new_ticket(browser, summary="New"))
        [message] = fresh_chat.wait_for_messages(1, timeout=15)
        assert message["subject"] == f"#{ticket_id}: New"
        spool = Spool(shared, create=False)
        try:
            assert spool.status().delivered == 1  # the new message did not go through the shared spool
        finally:
            spool.close()
        assert "<th>delivered</th><td>1</td>" in panel(server, browser)  # counted in the environment's own
    finally:
        server.stop()


def test_trac_ini_has_the_options_with_their_defaults_and_docs(tmp_path, chat):
    server = TracServer(tmp_path, chat.site)
    env = server.env_path
    assert trac_admin(env, "config", "get", "wyzepal", "move_topic_on_rename").strip() == "enabled"
    assert trac_admin(env, "config", "get", "wyzepal", "resolve_topic_on_close").strip() == "enabled"
    assert trac_admin(env, "config", "get", "notification", "default_format.wyzepal").strip() == "text/x-wyzepal"
    sample = (env / "conf" / "trac.ini.sample").read_text()  # Trac writes every option's default there
    section = sample.split("[wyzepal]\n", 1)[1].split("\n[", 1)[0]
    assert section.split("\n")[:3] == ["config = ", "move_topic_on_rename = enabled",
                                       "resolve_topic_on_close = enabled"]

    page_file = tmp_path / "options.txt"
    page_file.write_text("[[TracIni(section=wyzepal)]]\n")
    trac_admin(env, "wiki", "import", "WyzePalOptions", str(page_file))
    server.start()
    try:
        text = requests.get(server.url + "/wiki/WyzePalOptions", timeout=10).text
        for option in ("config", "move_topic_on_rename", "resolve_topic_on_close"):
            assert f'id="wyzepal-{option}-option"' in text
        words = " ".join(text.split())
        assert "so the ticket keeps one topic" in words and "wins over this option" in words
    finally:
        server.stop()


def test_the_config_file_wins_over_trac_ini_for_a_switch(tmp_path, chat):
    server = TracServer(tmp_path, chat.site, ini="[wyzepal]\nmove_topic_on_rename = false\n",
                        TRAC_RESOLVE_TOPIC_ON_CLOSE=False).start()
    try:
        browser = server.login()
        switches = html.unescape(panel(server, browser).split('id="wyzepal-switches"', 1)[1].split("</table>", 1)[0])
        rows = [" ".join(row.split()) for row in switches.split("<tr>")[2:]]
        assert rows[0].startswith("<td><code>move_topic_on_rename</code></td><td>off</td><td>trac.ini [wyzepal]")
        assert rows[1].startswith("<td><code>resolve_topic_on_close</code></td><td>off</td><td>the config file's "
                                  "TRAC_RESOLVE_TOPIC_ON_CLOSE (trac.ini [wyzepal] resolve_topic_on_close says on)")
    finally:
        server.stop()
