"""End to end, when things go wrong: the Trac user never notices, no message is lost.

In every case the ticket form answers with its 303 before WyzePal has the
message (so the request did not wait for it; no stopwatch that a loaded CI
machine could fool), the ticket is saved, and the message arrives once the
server (or the config) is back. Each fault keeps the message off the server for
seconds: a 2 s delay, four 503s (the client's backoff alone takes >= 1.9 s), a
429 asking for 2 s, a server down for at least 1 s.
"""
from __future__ import annotations

import time

import pytest

SLOW = 2.0
#: Far beyond a form's time on a loaded machine, far below what waiting out a dead server's retries takes.
NOT_WAITING = 10.0


def _down(chat):
    chat.stop()
    return lambda: (time.sleep(1.0), chat.start())


def _slow(chat):
    chat.faults.delay(SLOW, path="messages")
    return lambda: None


def _failing(chat):
    chat.faults.fail_next(4, status=503, path="messages")
    return lambda: None


def _rate_limited(chat):
    chat.faults.fail_next(1, status=429, path="messages", retry_after=2)
    return lambda: None


FAULTS = {"slow (2 s)": _slow, "503": _failing, "429": _rate_limited, "down": _down}


def create_timed(tracd, browser, summary):
    started = time.monotonic()
    response = tracd.new_ticket(browser, summary=summary)
    return tracd.ticket_id(response), time.monotonic() - started


def assert_saved(tracd, browser, ticket_id, summary):
    page = browser.get(f"{tracd.url}/ticket/{ticket_id}", timeout=10)
    assert page.status_code == 200 and summary in page.text


@pytest.mark.parametrize("fault", list(FAULTS))
def test_the_form_answers_at_once_and_the_message_arrives_later(tracd, browser, fresh_chat, fault):
    summary = f"Filed while the chat server is {fault}"
    heal = FAULTS[fault](fresh_chat)
    try:
        ticket_id, elapsed = create_timed(tracd, browser, summary)
        assert fresh_chat.messages() == [], "the ticket form answered only once WyzePal had the message"
        assert elapsed < NOT_WAITING, f"the ticket form took {elapsed:.1f} s"
        assert_saved(tracd, browser, ticket_id, summary)
    finally:
        heal()
    [message] = fresh_chat.wait_for_messages(1, timeout=30)
    assert message["subject"] == f"#{ticket_id}: {summary}"
    fresh_chat.faults.clear()


def test_a_broken_config_holds_the_messages_until_it_is_fixed(tracd, browser, fresh_chat):
    good = tracd.config_path.read_text()
    tracd.config_path.write_text(good + "STREAM_FOR_NOTIFICATIONS = \n")
    try:
        ticket_id, elapsed = create_timed(tracd, browser, "Filed with a broken config")
        assert elapsed < NOT_WAITING, f"the ticket form took {elapsed:.1f} s"
        assert_saved(tracd, browser, ticket_id, "Filed with a broken config")
        time.sleep(0.5)
        assert fresh_chat.messages() == []
        assert "is not valid Python" in tracd.log()
        panel = browser.get(f"{tracd.url}/admin/general/wyzepal", timeout=10).text
        assert "Notifications are held back" in panel and "is not valid Python" in panel
        assert "1 event(s) are waiting" in panel
    finally:
        tracd.config_path.write_text(good)
    [message] = fresh_chat.wait_for_messages(1, timeout=20)  # no further Trac activity needed
    assert message["subject"] == f"#{ticket_id}: Filed with a broken config"
