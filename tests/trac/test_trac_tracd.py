"""End to end: a real tracd, a logged-in browser session, tickets through the web forms."""
from __future__ import annotations

import pytest
from tracd_rig import TracServer


def test_a_ticket_created_in_the_web_form_is_announced(tracd, browser, fresh_chat):
    response = tracd.new_ticket(browser, summary="Login page is blank", description="Since ''today''.",
                                component="component1", priority="major", type="defect")
    ticket_id = tracd.ticket_id(response)
    [message] = fresh_chat.wait_for_messages(1, timeout=15)
    assert message["display_recipient"] == "trac"
    assert message["subject"] == f"#{ticket_id}: Login page is blank"
    assert message["content"].startswith(f"**admin** created [\\#{ticket_id} Login page is blank]"
                                         f"({tracd.url}/ticket/{ticket_id}) (**defect**, ")
    assert message["content"].endswith("```quote\nSince *today*.\n```")


def test_a_ticket_changed_and_closed_in_the_web_form_is_announced(tracd, browser, fresh_chat):
    ticket_id = tracd.ticket_id(tracd.new_ticket(browser, summary="Typo in footer"))
    fresh_chat.wait_for_messages(1, timeout=15)
    fresh_chat.reset()
    response = tracd.change_ticket(browser, ticket_id, comment="Fixed, see [wiki:Changes].", action="resolve",
                                   action_resolve_resolve_resolution="fixed", priority="minor")
    assert response.status_code == 303
    [message] = fresh_chat.wait_for_messages(1, timeout=15)
    assert message["subject"] == f"#{ticket_id}: Typo in footer"
    assert message["content"] == (
        f"**admin** closed [\\#{ticket_id} Typo in footer]({tracd.url}/ticket/{ticket_id}#comment:1) as "
        f"**fixed**:\n\n* **Priority**: major → minor\n\n```quote\nFixed, see [Changes]({tracd.url}/wiki/Changes)."
        "\n```")


def test_the_admin_panel_shows_the_config_with_the_key_hidden(tracd, browser):
    page = browser.get(f"{tracd.url}/admin/general/wyzepal", timeout=10)
    assert page.status_code == 200
    text = page.text
    assert str(tracd.config_path) in text
    assert "(set, hidden)" in text and "t" * 32 not in text
    assert "trac-bot@example.com" in text and "#{id}: {summary}" in text
    for row in ("pending", "dead (refused by the server)", "last error", "events held (config broken)"):
        assert row in text


def test_the_admin_panel_sends_a_test_message(tracd, browser, fresh_chat):
    token = tracd.form(browser, "/admin/general/wyzepal")["__FORM_TOKEN"]
    response = browser.post(f"{tracd.url}/admin/general/wyzepal", data={"__FORM_TOKEN": token, "test": "1"},
                            allow_redirects=False, timeout=30)
    assert response.status_code == 303
    [message] = fresh_chat.wait_for_messages(1, timeout=15)
    assert (message["display_recipient"], message["subject"]) == ("trac", "trac test")
    assert message["content"] == "Test message from Trac Test Project, sent by admin from Admin > WyzePal."
    page = browser.get(response.headers["Location"], timeout=10)
    assert "Test message delivered to #trac &gt; trac test." in page.text


def test_the_admin_panel_is_for_trac_admins_only(tracd):
    import requests

    anonymous = requests.get(f"{tracd.url}/admin/general/wyzepal", timeout=10)
    assert anonymous.status_code in (403, 404)  # Trac hides the admin area from who may not use it
    assert "trac-bot@example.com" not in anonymous.text


@pytest.fixture(scope="module")
def single_file_tracd(tmp_path_factory, chat):
    server = TracServer(tmp_path_factory.mktemp("tracd-single"), chat.site, single_file=True,
                        STREAM_FOR_NOTIFICATIONS="docs").start()
    yield server
    server.stop()


def test_the_single_file_plugin_in_the_plugins_folder_works_too(single_file_tracd, fresh_chat):
    browser = single_file_tracd.login()
    ticket_id = single_file_tracd.ticket_id(single_file_tracd.new_ticket(browser, summary="Single file"))
    [message] = fresh_chat.wait_for_messages(1, timeout=15)
    assert (message["display_recipient"], message["subject"]) == ("docs", f"#{ticket_id}: Single file")
    assert "plugins/wyzepal_trac_config.py" in browser.get(f"{single_file_tracd.url}/admin/general/wyzepal").text
    plugins_page = browser.get(f"{single_file_tracd.url}/admin/general/plugin", timeout=10)
    assert plugins_page.status_code == 200 and "wyzepal_trac_plugin" in plugins_page.text


def test_a_commit_announced_by_the_repository_hook_arrives(tracd, fresh_chat, tmp_path):
    from test_trac_wiki_milestones_changesets import git
    from tracd_rig import trac_admin

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "-c", "user.name=Carol", "-c", "user.email=carol@example.com", "commit", "-q", "--allow-empty",
        "-m", "Refs #1: first")
    sha = git(repo, "rev-parse", "HEAD")
    trac_admin(tracd.env_path, "config", "set", "components", "tracopt.versioncontrol.git.*", "enabled")
    trac_admin(tracd.env_path, "repository", "add", "code", str(repo / ".git"), "git")
    trac_admin(tracd.env_path, "changeset", "added", "code", sha)  # what the repository's hook runs
    [message] = fresh_chat.wait_for_messages(1, timeout=15)
    assert message["subject"] == "commits: code"
    assert message["content"].startswith(f"**Carol** committed [{sha[:7]}]({tracd.url}/changeset/{sha}/code)")
