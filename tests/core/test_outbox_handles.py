"""Message handles against the dev server: later operations on earlier messages survive what posts survive."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest
from outbox_kit import BOT, FAST, KEY, make_outbox
from wyzepal_notifier import Credentials, Message, RetryPolicy
from wyzepal_notifier.outbox import HandleInUse, Locate, Outbox, PrintingOutbox, Spool
from wyzepal_notifier.outbox.handles import RESOLVED_PREFIX

CHECK = RESOLVED_PREFIX






def only_message(server, stream="general"):
    """The one message of the bot (the server's own notices, such as "marked as resolved", left out)."""
    messages = [m for m in server.messages(stream) if m["sender_email"] == BOT]
    assert len(messages) == 1, [m["content"] for m in messages]
    return messages[0]


def patches(server):
    return [r for r in server.requests if r.method == "PATCH"]


def reactions_of(server, message_id):
    return sorted(r["emoji_name"] for r in server.message(message_id)["reactions"])


def delivered(outbox, timeout=15):
    assert outbox.flush(timeout), outbox.status()
    return outbox


# -- edits ---------------------------------------------------------------------------------------


def test_an_edit_queued_before_delivery_leaves_one_message_with_the_new_content(devserver, spool_path):
    devserver.faults.fail_next(3, status=503, path="messages")  # the server is down when both are queued
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "app", "build #1 started"), handle="jenkins:app#1")
    outbox.edit("jenkins:app#1", "build #1 passed")
    delivered(outbox).close()
    assert only_message(devserver)["content"] == "build #1 passed"
    assert outbox.handle_state("jenkins:app#1").message_id == only_message(devserver)["id"]


def test_an_edit_after_delivery_edits_in_place_and_an_identical_edit_is_a_success(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "app", "build #2 started"), handle="b2")
    delivered(outbox)
    outbox.edit("b2", "build #2 failed")
    outbox.edit("b2", "build #2 failed")  # a retry after a lost answer does the same again
    delivered(outbox).close()
    message = only_message(devserver)
    assert message["content"] == "build #2 failed" and message.get("last_edit_timestamp")
    assert outbox.status().dead == 0 and outbox.handle_state("b2").refusals == []


def test_an_edit_queued_by_a_new_process_after_a_restart_finds_the_message(devserver, spool_path):
    first = make_outbox(devserver, spool_path)
    first.put(Message.to_stream("general", "app", "deploy started"), handle="deploy:7")
    delivered(first).close()
    again = make_outbox(devserver, spool_path)  # the host started again: only the spool remembers
    again.edit("deploy:7", "deploy finished")
    again.add_reaction("deploy:7", "check")
    delivered(again).close()
    message = only_message(devserver)
    assert message["content"] == "deploy finished" and reactions_of(devserver, message["id"]) == ["check"]


def test_an_edit_past_the_servers_limit_follows_up_in_the_same_topic(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "app", "build #3 started"), handle="b3")
    delivered(outbox)
    devserver.backdate_message(outbox.handle_state("b3").message_id, 3600)  # the server's limit is 600 s
    outbox.edit("b3", "build #3 passed after an hour")
    delivered(outbox).close()
    contents = [m["content"] for m in devserver.messages("general", "app")]
    assert contents == ["build #3 started", "build #3 passed after an hour"]
    assert "follow-up" in outbox.handle_state("b3").refusals[-1].reason
    assert outbox.status().dead == 0


def test_an_edit_past_the_limit_with_keep_leaves_the_old_message_and_says_why(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "app", "old words"), handle="k")
    delivered(outbox)
    devserver.backdate_message(outbox.handle_state("k").message_id, 3600)
    outbox.edit("k", "new words", fallback="keep")
    delivered(outbox).close()
    assert only_message(devserver)["content"] == "old words"
    refusal = outbox.handle_state("k").refusals[-1]
    assert refusal.operation == "edit" and "kept" in refusal.reason and "limit" in refusal.reason


def test_the_realm_rules_are_read_so_an_edit_the_limit_forbids_is_not_even_tried(devserver, spool_path):
    devserver.set_realm(message_content_edit_limit_seconds=2)  # under the library's safety margin
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "app", "v1"), handle="r")
    delivered(outbox)
    outbox.edit("r", "v2")
    delivered(outbox).close()
    assert patches(devserver) == []
    assert [m["content"] for m in devserver.messages()] == ["v1", "v2"]
    assert "edit limit (2 s)" in outbox.handle_state("r").refusals[-1].reason


def test_editing_turned_off_by_the_organisation_falls_back(devserver, spool_path):
    devserver.set_realm(allow_message_editing=False)
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "app", "v1"), handle="off")
    delivered(outbox)
    outbox.edit("off", "v2")
    delivered(outbox).close()
    assert [m["content"] for m in devserver.messages()] == ["v1", "v2"]
    assert "turned off" in outbox.handle_state("off").refusals[-1].reason


def test_an_edit_of_a_post_not_yet_being_sent_is_folded_into_it(spool_path):
    spool = Spool(spool_path)
    sender = spool.save_sender(Credentials("https://chat.example.com", BOT, KEY), "T", "1")
    spool.append(sender, Message.to_stream("general", "app", "v1").checked(), handle="fold")
    assert spool.append_operation(sender, "fold", "edit", {"content": "v2", "fallback": "follow_up"}) == 0
    spool.append_operation(sender, "fold", "react", {"emoji": "check"})
    spool.append_operation(sender, "fold", "edit", {"content": "v3", "fallback": "follow_up"})
    rows = spool.claim("w", lease=30)
    assert [(r.kind, r.message.content if r.message else r.args.get("content")) for r in rows] == [
        ("post", "v2"), ("react", None), ("edit", "v3")]
    assert spool.append_operation(sender, "fold", "edit", {"content": "v4", "fallback": "follow_up"}) > 0, \
        "a row being sent is never changed under the sender"


# -- reactions ------------------------------------------------------------------------------------


def test_a_status_reaction_is_swapped_not_piled_up_and_repeats_do_no_harm(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "app", "build #4"), handle="b4")
    outbox.add_reaction("b4", "hourglass")
    outbox.add_reaction("b4", "hourglass")  # already there: a success
    delivered(outbox)
    message_id = outbox.handle_state("b4").message_id
    assert reactions_of(devserver, message_id) == ["hourglass"]
    outbox.remove_reaction("b4", "hourglass")
    outbox.remove_reaction("b4", "hourglass")  # already gone: a success
    outbox.add_reaction("b4", "check")
    delivered(outbox).close()
    assert reactions_of(devserver, message_id) == ["check"]
    assert outbox.status().dead == 0


def test_a_reaction_event_reaches_an_event_stream(devserver, devserver_bot, spool_path):
    from wyzepal_notifier import Client
    from wyzepal_notifier.events import EventStream

    client = Client(devserver.site, *devserver_bot)
    with EventStream(client, event_types=["reaction", "update_message"]) as stream:
        outbox = make_outbox(devserver, spool_path)
        outbox.put(Message.to_stream("general", "app", "watch me"), handle="w")
        outbox.add_reaction("w", "eyes")
        outbox.edit("w", "watched")
        delivered(outbox).close()
        seen = []
        for event in stream:
            seen.append(event["type"])
            if {"reaction", "update_message"} <= set(seen):
                break
    assert {"reaction", "update_message"} <= set(seen)


# -- topics ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode, expected", [
    ("change_one", {"old": ["before", "later"], "new": ["mine"]}),
    ("change_later", {"old": ["before"], "new": ["mine", "later"]}),
    ("change_all", {"new": ["before", "mine", "later"]}),
])
def test_a_move_takes_what_its_propagate_mode_says(devserver, spool_path, mode, expected):
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "old", "before"))
    outbox.put(Message.to_stream("general", "old", "mine"), handle="m")
    outbox.put(Message.to_stream("general", "old", "later"))
    outbox.move_topic("m", "new", propagate_mode=mode)
    delivered(outbox).close()
    by_topic: dict = {}
    for message in devserver.messages("general"):
        by_topic.setdefault(message["subject"], []).append(message["content"])
    assert by_topic == expected
    assert outbox.handle_state("m").topic == "new"


def test_a_post_that_follows_a_conversation_goes_to_its_topic_after_the_move(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "#5: old summary", "ticket created"), handle="trac:5")
    outbox.move_topic("trac:5", "#5: new summary")
    outbox.put(Message.to_stream("general", "#5: old summary", "a comment"), conversation="trac:5")
    delivered(outbox).close()
    topics = {m["subject"] for m in devserver.messages("general")}
    assert topics == {"#5: new summary"}
    assert [m["content"] for m in devserver.messages("general")] == ["ticket created", "a comment"]


def test_resolve_and_unresolve_are_idempotent_and_respect_a_person_who_did_it_first(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "#6: crash", "ticket created"), handle="t6")
    outbox.resolve_topic("t6")
    outbox.resolve_topic("t6")  # closed twice: one mark
    delivered(outbox)
    assert {m["subject"] for m in devserver.messages("general") if m["sender_email"] == BOT} == {CHECK + "#6: crash"}
    outbox.resolve_topic("t6", resolved=False)
    delivered(outbox)
    assert outbox.handle_state("t6").topic == "#6: crash"
    # A person resolves it by hand; the plugin's own resolve then finds it done and changes nothing.
    devserver_client_resolve(devserver, outbox.handle_state("t6").message_id, CHECK + "#6: crash")
    before = len(patches(devserver))
    outbox.resolve_topic("t6")
    outbox.put(Message.to_stream("general", "#6: crash", "closed again"), conversation="t6")
    delivered(outbox).close()
    assert len(patches(devserver)) == before
    assert devserver.messages("general")[-1]["subject"] == CHECK + "#6: crash"
    assert outbox.handle_state("t6").resolved


def devserver_client_resolve(server, message_id, topic):
    from wyzepal_notifier import Client

    person = server.add_user("alice@example.com", full_name="Alice", bot=False)
    Client(server.site, *person).update_message(message_id, topic=topic, propagate_mode="change_all")


def test_a_move_the_bot_may_not_make_is_refused_once_and_nothing_is_half_moved(devserver, spool_path):
    devserver.set_realm(can_move_messages_between_topics_group="admins")
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "before", "first"), handle="nomove")
    outbox.move_topic("nomove", "after")
    outbox.put(Message.to_stream("general", "before", "second"), conversation="nomove")
    delivered(outbox).close()
    assert {m["subject"] for m in devserver.messages("general")} == {"before"}
    assert patches(devserver) == []  # the rules said no: not tried, so no retry loop either
    state = outbox.handle_state("nomove")
    assert state.topic == "before" and "may not move" in state.refusals[-1].reason
    assert outbox.status().dead == 0


def test_a_move_past_the_servers_time_limit_is_refused_by_the_server_and_recorded(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "aged", "old news"), handle="aged")
    delivered(outbox)
    devserver.backdate_message(outbox.handle_state("aged").message_id, 30 * 24 * 3600)
    outbox.move_topic("aged", "fresh")
    delivered(outbox).close()
    state = outbox.handle_state("aged")
    assert state.topic == "aged" and state.refusals and "move" in state.refusals[-1].reason
    assert {m["subject"] for m in devserver.messages("general")} == {"aged"}


def test_below_feature_level_367_resolving_follows_the_move_permission(devserver_factory, spool_path):
    server = devserver_factory(feature_level=366)
    server.set_realm(can_move_messages_between_topics_group="admins")
    outbox = make_outbox(server, spool_path)
    outbox.put(Message.to_stream("general", "old server", "x"), handle="old")
    outbox.resolve_topic("old")
    delivered(outbox).close()
    assert "may not resolve" in outbox.handle_state("old").refusals[-1].reason
    assert {m["subject"] for m in server.messages("general")} == {"old server"}


# -- handles: their names, their lookup --------------------------------------------------------------


def test_a_handle_names_one_message_until_it_is_forgotten(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "t", "one"), handle="h")
    with pytest.raises(HandleInUse):
        outbox.put(Message.to_stream("general", "t", "two"), handle="h")
    outbox.forget("h")
    delivered(outbox)
    assert outbox.handle_state("h") is None
    outbox.put(Message.to_stream("general", "t", "three"), handle="h")
    delivered(outbox).close()
    assert [m["content"] for m in devserver.messages()] == ["one", "three"]


def test_handles_expire_after_their_time(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path, handle_ttl=0.01)
    outbox.put(Message.to_stream("general", "t", "short-lived"), handle="brief")
    delivered(outbox)
    time.sleep(0.05)  # past its 10 ms
    spool = Spool(spool_path)
    spool.forget_expired_handles()  # (the outbox's own housekeeping may have come first: either forgets it)
    assert spool.handle_state("brief") is None
    spool.close()
    outbox.put(Message.to_stream("general", "t", "again"), handle="brief")  # free again
    delivered(outbox).close()


def test_the_worker_forgets_handles_past_their_time_by_itself(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path, handle_ttl=0.01)
    outbox.put(Message.to_stream("general", "t", "first"), handle="old")
    delivered(outbox).close()
    time.sleep(0.05)
    restarted = make_outbox(devserver, spool_path)  # a new worker looks at its first round
    restarted.put(Message.to_stream("general", "t", "second"))
    delivered(restarted).close()
    assert restarted.handle_state("old") is None


def test_an_unknown_handle_is_found_on_the_server_by_the_text_its_message_carries(devserver, tmp_path):
    url = "https://jenkins.example.com/job/app/9/"
    agent = make_outbox(devserver, tmp_path / "agent.sqlite3")  # one machine posts the start ...
    agent.put(Message.to_stream("ci", "app", f"[build #9]({url}) started"), handle="jenkins:app#9")
    delivered(agent).close()
    other = make_outbox(devserver, tmp_path / "other.sqlite3")  # ... another one finishes it
    where = Locate(stream="ci", topic="app", text=url)
    other.edit("jenkins:app#9", f"[build #9]({url}) passed", locate=where)
    other.add_reaction("jenkins:app#9", "check", locate=where)
    delivered(other).close()
    message = only_message(devserver, "ci")
    assert message["content"].endswith("passed") and reactions_of(devserver, message["id"]) == ["check"]


def test_the_look_back_finds_a_message_whose_topic_was_resolved_since(devserver, tmp_path):
    agent = make_outbox(devserver, tmp_path / "a.sqlite3")
    agent.put(Message.to_stream("ci", "app", "marker-77 started"), handle="x")
    agent.resolve_topic("x")
    delivered(agent).close()
    other = make_outbox(devserver, tmp_path / "b.sqlite3")
    other.edit("x", "marker-77 done", locate=Locate("ci", "app", "marker-77"))
    delivered(other).close()
    assert only_message(devserver, "ci")["content"] == "marker-77 done"


def test_an_unknown_handle_that_cannot_be_found_is_dead_with_a_clear_reason(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path)
    outbox.edit("nobody:knows", "new text", locate=Locate("ci", "app", "no such marker"))
    outbox.add_reaction("never:seen", "check")
    delivered(outbox).close()
    status = Spool(spool_path).status()
    reasons = sorted(d["reason"] for d in status.dead_messages)
    assert status.dead == 2
    assert "no place to look it up" in reasons[1] and "contains 'no such marker'" in reasons[0]
    assert {d["to"] for d in status.dead_messages} == {"edit of nobody:knows", "react of never:seen"}


def test_an_operation_on_a_dead_message_is_dead_too_and_both_come_back_with_retry(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("nowhere", "t", "to a channel that does not exist"), handle="lost")
    outbox.add_reaction("lost", "check")
    outbox.flush(10)
    assert outbox.status().dead == 2
    devserver.add_stream("nowhere")
    spool = Spool(spool_path)
    spool.requeue_dead()
    spool.close()
    delivered(outbox).close()
    message = only_message(devserver, "nowhere")
    assert reactions_of(devserver, message["id"]) == ["check"]


# -- faults ---------------------------------------------------------------------------------------------


def test_operations_wait_out_a_server_that_is_down_and_keep_their_order(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path)
    outbox.put(Message.to_stream("general", "app", "build #10 started"), handle="b10")
    delivered(outbox)
    devserver.faults.fail_next(4, status=503)
    outbox.remove_reaction("b10", "hourglass")
    outbox.add_reaction("b10", "x")
    outbox.edit("b10", "build #10 failed")
    outbox.resolve_topic("b10")
    delivered(outbox, 30).close()
    message = only_message(devserver)
    assert message["content"] == "build #10 failed" and message["subject"] == CHECK + "app"
    assert reactions_of(devserver, message["id"]) == ["x"]


def test_a_lost_answer_to_a_reaction_is_retried_without_harm(devserver, spool_path):
    def impatient(sender):
        from wyzepal_notifier import Client
        return Client.from_credentials(sender.credentials, retry=RetryPolicy(budget=0.0), read_timeout=0.5)

    outbox = make_outbox(devserver, spool_path, courier_options={**FAST, "client_factory": impatient})
    outbox.put(Message.to_stream("general", "app", "slow"), handle="s")
    delivered(outbox)
    devserver.faults.delay(1.0, n=1, path="reactions")  # the answer comes after the client gave up
    outbox.add_reaction("s", "check")
    delivered(outbox, 20).close()
    assert reactions_of(devserver, outbox.handle_state("s").message_id) == ["check"]
    assert outbox.status().dead == 0


def test_a_429_on_an_operation_waits_and_then_applies_it(devserver, spool_path):
    outbox = make_outbox(devserver, spool_path, courier_options={**FAST, "call_retry": RetryPolicy(budget=0.0)})
    outbox.put(Message.to_stream("general", "app", "limited"), handle="l")
    delivered(outbox)
    devserver.faults.fail_next(1, status=429, path="reactions", retry_after=1)
    outbox.add_reaction("l", "check")
    delivered(outbox, 20).close()
    assert reactions_of(devserver, outbox.handle_state("l").message_id) == ["check"]


TWO_PROCESSES = textwrap.dedent("""
    import sys
    from wyzepal_notifier import Credentials, Message
    from wyzepal_notifier.outbox import Outbox
    site, path, role = sys.argv[1:4]
    outbox = Outbox(path, Credentials(site, "bot@example.com", "x" * 32))
    if role == "start":
        for n in range(5):
            outbox.put(Message.to_stream("ci", f"job{n}", f"build {n} started"), handle=f"job{n}#1")
    else:
        for n in range(5):
            outbox.edit(f"job{n}#1", f"build {n} passed")
            outbox.add_reaction(f"job{n}#1", "check")
    sys.exit(0 if outbox.flush(30) else 1)
""")


def test_two_processes_sharing_a_spool_the_second_editing_what_the_first_posted(devserver, spool_path, tmp_path):
    script = tmp_path / "host.py"
    script.write_text(TWO_PROCESSES)
    devserver.faults.delay(0.3, path="messages")  # the first process is still posting when the second edits
    starter = subprocess.Popen([sys.executable, str(script), devserver.site, str(spool_path), "start"])
    finisher = None
    try:
        for _ in range(100):
            if spool_path.exists() and Spool(spool_path).status().pending:
                break
            subprocess.run([sys.executable, "-c", "import time; time.sleep(0.05)"], check=True)
        finisher = subprocess.Popen([sys.executable, str(script), devserver.site, str(spool_path), "finish"])
        assert starter.wait(60) == 0 and finisher.wait(60) == 0
    finally:
        for process in (starter, finisher):
            if process is not None and process.poll() is None:
                process.kill()
    messages = devserver.messages("ci")
    assert sorted(m["content"] for m in messages) == [f"build {n} passed" for n in range(5)]
    assert all(reactions_of(devserver, m["id"]) == ["check"] for m in messages)


# -- the other outboxes keep the same contract ---------------------------------------------------------


def test_the_hand_over_outbox_of_hooks_queues_operations_for_its_detached_worker(devserver, tmp_path):
    from wyzepal_notifier.config import settings_from_values
    from wyzepal_notifier.outbox import HandOverOutbox

    settings = settings_from_values({"WYZEPAL_SITE": devserver.site, "WYZEPAL_USER": BOT, "WYZEPAL_API_KEY": KEY,
                                     "OUTBOX_PATH": str(tmp_path / "hook.sqlite3"),
                                     "STREAM_FOR_NOTIFICATIONS": "general"}, str(tmp_path / "cfg.py"), [])
    hook = HandOverOutbox("git", settings, "WyzePalGit", "1")
    hook.put(Message.to_stream("general", "svn", "r12: old log"), handle="svn:r12")
    hook.close()
    devserver.wait_for_messages(1, timeout=20)
    later = HandOverOutbox("git", settings, "WyzePalGit", "1")  # the revprop-change hook, another run
    later.edit("svn:r12", "r12: new log")
    later.close()
    for _ in range(200):
        if only_message(devserver)["content"] == "r12: new log":
            break
        subprocess.run([sys.executable, "-c", "import time; time.sleep(0.1)"], check=True)
    assert only_message(devserver)["content"] == "r12: new log"


def test_the_printing_outbox_shows_operations_and_refuses_a_taken_handle(capsys):
    printer = PrintingOutbox()
    printer.put(Message.to_stream("ci", "app", "started"), handle="p")
    printer.edit("p", "passed")
    printer.add_reaction("p", "check")
    with pytest.raises(HandleInUse):
        printer.put(Message.to_stream("ci", "app", "again"), handle="p")
    out = capsys.readouterr().out
    assert "(handle p)" in out and "--- edit p" in out and "passed" in out and "--- react p {'emoji': 'check'}" in out


def test_every_outbox_kind_keeps_the_one_contract(tmp_path):
    from wyzepal_notifier.outbox import DeliveryOutbox, HandOverOutbox

    for kind in (Outbox, HandOverOutbox, PrintingOutbox):
        for name in ("put", "edit", "add_reaction", "remove_reaction", "move_topic", "resolve_topic", "forget",
                     "handle_state", "flush", "close"):
            assert callable(getattr(kind, name, None)), (kind, name)
    assert isinstance(PrintingOutbox(), DeliveryOutbox)
    assert isinstance(Outbox(tmp_path / "o.sqlite3", Credentials("http://127.0.0.1:9", BOT, KEY)), DeliveryOutbox)


def test_bad_operations_are_refused_at_once_in_the_host(spool_path):
    from wyzepal_notifier.errors import WyzePalError

    outbox = Outbox(spool_path, Credentials("http://127.0.0.1:9", BOT, KEY))
    for bad in (lambda: outbox.edit("h", "x", fallback="shrug"),
                lambda: outbox.move_topic("h", "t", propagate_mode="everything"),
                lambda: outbox.move_topic("h", "   "),
                lambda: outbox.add_reaction("h", "two words"),
                lambda: outbox.edit("", "x"),
                lambda: outbox.edit("h", "   ")):
        with pytest.raises(WyzePalError):
            bad()
    assert Spool(spool_path).status().pending == 0
    outbox.close(0.1)
