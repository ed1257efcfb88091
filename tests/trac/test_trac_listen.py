"""Both ways, in a real tracd with ``trac-admin ENV wyzepal listen`` running beside it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from test_trac_ticket_topics import spool_idle, ticket_messages, wait_until
from tracd_rig import TracServer, trac_admin
from tracrig import BOT_EMAIL
from wyzepal_notifier import Client, Message

USERS = {"alice": "alice@example.com", "bob": "bob@example.com"}


@pytest.fixture(scope="module")
def people(chat):
    """Alice may comment in Trac, Bob may only look, Carol has no Trac user; another bot posts too."""
    return {name: chat.add_user(f"{name}@example.com", full_name=name.title(), bot=name == "otherbot")
            for name in ("alice", "bob", "carol", "otherbot")}


@pytest.fixture(scope="module")
def repository(tmp_path_factory):
    """A git repository with one commit, as Trac's repository ``code``."""
    from test_trac_wiki_milestones_changesets import git

    repo = tmp_path_factory.mktemp("repo")
    git(repo, "init", "-q")
    git(repo, "-c", "user.name=Carol", "-c", "user.email=carol@example.com", "commit", "-q", "--allow-empty",
        "-m", "Speed up the *export*\n\nDetails.")
    return repo, git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def tracd(tmp_path_factory, chat, people, repository):
    server = TracServer(tmp_path_factory.mktemp("tracd-listen"), chat.site, users={"alice": "a", "bob": "b"},
                        TRAC_USERS=USERS, TRAC_REFERENCE_STREAMS=["release"])
    trac_admin(server.env_path, "permission", "remove", "authenticated", "TICKET_MODIFY")
    trac_admin(server.env_path, "permission", "add", "alice", "TICKET_MODIFY")
    trac_admin(server.env_path, "config", "set", "components", "tracopt.versioncontrol.git.*", "enabled")
    trac_admin(server.env_path, "repository", "add", "code", str(repository[0] / ".git"), "git")
    server.start()
    yield server
    server.stop()


def start_listening(tracd, chat) -> subprocess.Popen:
    """``trac-admin ENV wyzepal listen``, once its event queue is registered."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    before = len(chat.queue_ids())
    process = subprocess.Popen([sys.executable, "-m", "trac.admin.console", str(tracd.env_path), "wyzepal", "listen"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    wait_until(lambda: len(chat.queue_ids()) > before or process.poll() is not None, timeout=60,
               what="the listening bot's event queue")
    if process.poll() is not None:
        raise AssertionError(process.stdout.read())
    return process


def stop_listening(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("trac-admin wyzepal listen did not stop on SIGTERM") from None


def test_the_bot_says_where_it_listens_and_stops_on_sigterm_deleting_its_queue(tracd, chat):
    before = len(chat.queue_ids())
    process = start_listening(tracd, chat)
    assert stop_listening(process) == 0
    assert "WyzePal: listening as trac-bot@example.com" in process.stdout.read()
    assert len(chat.queue_ids()) == before


@pytest.fixture(scope="module")
def listening(tracd, chat):
    process = start_listening(tracd, chat)
    yield process
    stop_listening(process)


def say(chat, person, stream, topic, text):
    return Client(chat.site, *person).send_message(Message.to_stream(stream, topic, text))["id"]


def comments(tracd, ticket_id):
    """(author, text) of the ticket's comments, read from Trac's database."""
    from trac.env import Environment
    from trac.ticket.model import Ticket

    env = Environment(str(tracd.env_path))
    try:
        return [(author, new) for _, author, field, _, new, _ in Ticket(env, ticket_id).get_changelog()
                if field == "comment" and new]
    finally:
        env.shutdown()


@pytest.fixture
def ticket(tracd, fresh_chat, listening):
    browser = tracd.login()
    ticket_id = tracd.ticket_id(tracd.new_ticket(browser, summary="Export fails"))
    wait_until(lambda: ticket_messages(fresh_chat, tracd, ticket_id), what="the created message")
    return ticket_id


def handle_topic(tracd, ticket_id):
    from wyzepal_notifier.outbox import Spool
    from wyzepal_trac.ticket_topics import ticket_handle

    spool = Spool(tracd.config_path.parent / "outbox.sqlite3", create=False)
    try:
        state = spool.handle_state(ticket_handle(str(tracd.env_path), str(ticket_id), "trac"))
        return state and state.topic
    finally:
        spool.close()


def direct_to(chat, email):
    return [m for m in chat.messages() if m["type"] == "private" and m["sender_email"] == BOT_EMAIL
            and any(r["email"] == email for r in m["display_recipient"])]


def test_a_reply_in_a_tickets_topic_becomes_a_comment_by_the_mapped_user(tracd, fresh_chat, people, ticket):
    topic = f"#{ticket}: Export fails"
    say(fresh_chat, people["alice"], "trac", topic, "It fails only for ''CSV'' files.")
    wait_until(lambda: comments(tracd, ticket), what="the comment in Trac")
    assert comments(tracd, ticket) == [("alice", "It fails only for ''CSV'' files.")]
    wait_until(lambda: spool_idle(tracd))
    # Not announced back into the topic it came from (the people there just read it).
    assert [m["sender_email"] for m in fresh_chat.messages("trac", topic)] == [BOT_EMAIL, "alice@example.com"]


def test_unmapped_users_bots_and_users_without_permission_add_no_comment(tracd, fresh_chat, people, ticket):
    topic = f"#{ticket}: Export fails"
    say(fresh_chat, people["carol"], "trac", topic, "Me too!")
    say(fresh_chat, people["otherbot"], "trac", topic, "Build 12 failed.")
    say(fresh_chat, people["bob"], "trac", topic, "I would like to comment.")
    wait_until(lambda: direct_to(fresh_chat, "carol@example.com") and direct_to(fresh_chat, "bob@example.com"),
               what="the explanations")
    assert "not mapped to a Trac user" in direct_to(fresh_chat, "carol@example.com")[0]["content"]
    assert "bob may not comment on it (TICKET\\_APPEND)" in direct_to(fresh_chat, "bob@example.com")[0]["content"]
    say(fresh_chat, people["alice"], "trac", topic, "Marker after the others.")
    wait_until(lambda: comments(tracd, ticket), what="alice's comment, handled after the others")
    assert comments(tracd, ticket) == [("alice", "Marker after the others.")]
    assert direct_to(fresh_chat, "otherbot@example.com") == []  # a bot gets no explanation either


def test_a_ticket_reference_in_a_configured_channel_is_answered(tracd, fresh_chat, people, ticket):
    say(fresh_chat, people["carol"], "release", "planning", f"Is #{ticket} in the release? Not `#{ticket + 1}`.")
    [answer] = wait_until(lambda: [m for m in fresh_chat.messages("release", "planning")
                                   if m["sender_email"] == BOT_EMAIL], what="the answer")
    assert answer["content"] == f"[\\#{ticket} Export fails]({tracd.url}/ticket/{ticket}): **new**"
    say(fresh_chat, people["carol"], "docs", "planning", f"And #{ticket}?")  # not a configured channel
    say(fresh_chat, people["carol"], "release", "planning", "marker")
    wait_until(lambda: spool_idle(tracd))
    assert len([m for m in fresh_chat.messages() if m["sender_email"] == BOT_EMAIL
                and m["display_recipient"] in ("release", "docs")]) == 1


def test_the_admin_panel_shows_the_reference_channels(tracd):
    browser = tracd.login()
    page = browser.get(f"{tracd.url}/admin/general/wyzepal", timeout=10).text
    assert "TRAC_REFERENCE_STREAMS" in page and "release" in page


def test_a_changeset_reference_is_answered_with_its_first_line(tracd, fresh_chat, people, listening, repository):
    sha = repository[1]
    say(fresh_chat, people["alice"], "release", "commits", f"Was it [{sha[:7]}/code]? Or [zzz]?")
    [answer] = wait_until(lambda: [m for m in fresh_chat.messages("release", "commits")
                                   if m["sender_email"] == BOT_EMAIL], what="the answer")
    assert answer["content"] == (f"[\\[{sha[:7]}/code\\]]({tracd.url}/changeset/{sha}/code) by **Carol**: "
                                 "Speed up the \\*export\\*")


@pytest.mark.parametrize("text, expected", [
    ("see #12 and #12, [345] and [abc1234/repo]", [("ticket", "12", None), ("changeset", "345", None),
                                                   ("changeset", "abc1234", "repo")]),
    ("not `#1`, not ```\n#2\n```, not \\#3, not &#4; not x#5 not /p#6 not [7](http://a)", []),
    (" ".join(f"#{n}" for n in range(1, 10)), [("ticket", str(n), None) for n in range(1, 6)]),
])
def test_references_are_read_as_trac_writes_them(text, expected):
    from wyzepal_trac.listen import references

    assert references(text) == expected


def test_a_topic_moved_by_hand_keeps_the_tickets_next_messages(tracd, fresh_chat, people, ticket):
    topic = f"#{ticket}: Export fails"
    [created] = ticket_messages(fresh_chat, tracd, ticket)
    Client(fresh_chat.site, *people["alice"]).update_message(created["id"], topic=topic + " (triaged)",
                                                             propagate_mode="change_all")
    browser = tracd.login()
    # The bot reads the move back from its update_message event; then the next change follows it there.
    wait_until(lambda: handle_topic(tracd, ticket) == topic + " (triaged)", what="the move read back")
    assert tracd.change_ticket(browser, ticket, comment="From the web.").status_code == 303
    wait_until(lambda: len(ticket_messages(fresh_chat, tracd, ticket)) == 2)
    assert {m["subject"] for m in ticket_messages(fresh_chat, tracd, ticket)} == {topic + " (triaged)"}


@pytest.mark.parametrize("template, topic, ticket_id", [
    ("#{id}: {summary}", "#12: Crash: on save", "12"),
    ("#{id}: {summary}", "\N{HEAVY CHECK MARK} #12: Crash", "12"),
    ("ticket {id} ({component})", "ticket 7 (ui)", "7"),
    ("#{id}: {summary}", "#x: Crash", None),
    ("#{id}: {summary}", "re #12: Crash", None),
    ("{summary}", "Crash", None),  # no {id}: no way to tell the ticket
])
def test_a_topic_is_read_back_to_its_ticket_by_the_template(template, topic, ticket_id):
    from wyzepal_trac.listen.bridge import TicketBridge

    class Conf:
        def get(self, name):
            return template if name == "TRAC_TICKET_TOPIC" else None

    assert TicketBridge._ticket_id(Conf(), topic) == ticket_id
