"""The dev server's web page (GET /) in a real headless Chromium, and who may open it.

The page must show what arrives through the API within a second, without a
reload, rendered as the API renders it (a mention span, a code block), and
follow edits and reactions.  Chromium and chromedriver come from the system
(Debian: ``apt-get install chromium chromium-driver``); without them this fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests
from aiohttp.test_utils import make_mocked_request
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from wyzepal_notifier.devserver.webpage import refusal

BOT = ("bot@example.com", "k" * 32, "Build Bot")
ALICE = ("alice@example.com", "a" * 32, "Alice")
ARRIVAL = 1.0  # seconds the page may take to show a change (the "within a second")
CHROMIUM = ("chromium", "chromium-browser", "google-chrome")


def chromium_paths():
    browser = next((shutil.which(name) for name in CHROMIUM if shutil.which(name)), None)
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.fail("the dev server page test needs a real Chromium: install the system packages "
                    "'chromium chromium-driver' (Debian/Ubuntu: apt-get install chromium chromium-driver)")
    return browser, driver


@pytest.fixture(scope="module")
def browser():
    binary, driver_path = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1280,900", "--no-first-run", "--disable-extensions"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def server(devserver_factory):
    return devserver_factory(users=[BOT, ALICE], streams=["general", "ci"])


def api(server, method, path, **data):
    encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    response = requests.request(method, server.api_url + path, auth=BOT[:2], data=encoded, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def send(server, content, topic="builds", to="general"):
    return api(server, "POST", "/messages", type="stream", to=to, topic=topic, content=content)["id"]


def open_page(browser, server):
    """Load the page and wait until its feed is parked on the server (it is listening)."""
    polls = server.waiting_polls()
    browser.get(server.site + "/")
    server.wait_for_polls(polls + 1, timeout=15)
    browser.execute_script("window.__not_reloaded = true;")


def wait_for(browser, script, timeout=ARRIVAL):
    """Poll a JavaScript expression until it is truthy; returns it, or fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = browser.execute_script("return " + script)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout}s the page still has no {script!r}")
        time.sleep(0.02)


def message_js(message_id, inner=""):
    return f"document.querySelector('[data-message-id=\"{message_id}\"] {inner}'.trim())"


def test_a_message_sent_through_the_api_appears_rendered_within_a_second_without_a_reload(browser, server):
    open_page(browser, server)
    message_id = send(server, "Build #7 **passed** for @**Alice**\n```python\nprint('hi')\n```\n> all green :rocket:")
    wait_for(browser, message_js(message_id))
    mention = browser.execute_script("return " + message_js(message_id, ".user-mention") + ".textContent")
    code = browser.execute_script("return " + message_js(message_id, "pre code") + ".textContent")
    quote = browser.execute_script("return " + message_js(message_id, "blockquote") + ".textContent")
    assert mention == "@Alice" and "print('hi')" in code and "all green" in quote and "\U0001f680" in quote
    assert browser.execute_script("return " + message_js(message_id, "strong") + ".textContent") == "passed"
    assert browser.execute_script("return window.__not_reloaded === true")
    # The HTML is the API's own rendering of the message.
    rendered = requests.get(f"{server.api_url}/messages/{message_id}", auth=BOT[:2], timeout=5).json()
    assert 'class="user-mention"' in rendered["message"]["content"]
    header = browser.execute_script("return " + message_js(message_id) + ".closest('.thread')"
                                    ".querySelector('.recipient').textContent")
    assert "general" in header and "builds" in header


def test_edits_and_reactions_show_up_live(browser, server):
    message_id = send(server, "deploy started")
    open_page(browser, server)
    wait_for(browser, message_js(message_id))
    api(server, "PATCH", f"/messages/{message_id}", content="deploy **finished**")
    wait_for(browser, message_js(message_id, ".edited"))
    assert browser.execute_script("return " + message_js(message_id, "strong") + ".textContent") == "finished"
    api(server, "POST", f"/messages/{message_id}/reactions", emoji_name="tada")
    wait_for(browser, message_js(message_id, ".reaction[data-emoji-name=\"tada\"]"))
    pill = browser.execute_script("return " + message_js(message_id, ".reaction") + ".textContent")
    assert pill == "\U0001f3891"  # 🎉 and its count
    api(server, "DELETE", f"/messages/{message_id}/reactions", emoji_name="tada")
    wait_for(browser, "!" + message_js(message_id, ".reaction"))
    assert browser.execute_script("return window.__not_reloaded === true")


def test_channels_and_topics_are_listed_and_filter_the_messages(browser, server):
    first = send(server, "on general", topic="deploys")
    second = send(server, "on ci", topic="nightly", to="ci")
    open_page(browser, server)
    wait_for(browser, message_js(second))
    topics = browser.execute_script("return [...document.querySelectorAll('.topic-name')].map(a => a.textContent)")
    assert topics == ["deploys", "nightly"]
    browser.execute_script("[...document.querySelectorAll('.topic-name')].find(a => a.textContent == 'nightly')"
                           ".click()")
    wait_for(browser, "!" + message_js(first))
    assert browser.execute_script("return !!" + message_js(second))


def test_the_page_holds_no_api_key(browser, server):
    send(server, "hello")
    open_page(browser, server)
    source = browser.page_source
    feed = requests.get(server.site + "/devserver/page-feed", timeout=5).text
    script = requests.get(server.site + "/devserver/page/page.js", timeout=5).text
    for text in (source, feed, script):
        assert BOT[1] not in text and ALICE[1] not in text and "Authorization" not in text


# --- who may open it ----------------------------------------------------------------------------
def test_a_foreign_host_or_origin_is_refused(server):
    own = requests.get(server.site + "/", timeout=5)
    assert own.status_code == 200 and "text/html" in own.headers["Content-Type"]
    assert own.headers["Cache-Control"] == "no-store" and "default-src 'self'" in own.headers["Content-Security-Policy"]
    for headers in ({"Host": f"evil.example:{server.port}"}, {"Origin": "http://evil.example"},
                    {"Host": f"127.0.0.1:{server.port}", "Origin": f"http://127.0.0.1:{server.port + 1}"}):
        for path in ("/", "/devserver/page-feed", "/devserver/page/page.js"):
            refused = requests.get(server.site + path, headers=headers, timeout=5)
            assert refused.status_code == 403, (path, headers, refused.text)
            assert BOT[1] not in refused.text


def test_only_the_pages_files_are_served(server):
    assert requests.get(server.site + "/devserver/page/page.css", timeout=5).status_code == 200
    for name in ("page.html", "..%2Fwebpage.py", "secret.txt"):
        assert requests.get(server.site + "/devserver/page/" + name, timeout=5).status_code == 404


class _Transport:
    """What aiohttp asks a socket: the peer's and our own address."""

    def __init__(self, peer, port=9991):
        self.info = {"peername": (peer, 40000), "sockname": ("127.0.0.1", port)}

    def get_extra_info(self, name, default=None):
        return self.info.get(name, default)


@pytest.mark.parametrize("peer, host, origin, allowed", [
    ("127.0.0.1", "127.0.0.1:9991", None, True),
    ("::1", "[::1]:9991", "http://[::1]:9991", True),
    ("::ffff:127.0.0.1", "127.0.0.1:9991", None, True),  # IPv4 client of a server bound to ::
    ("::ffff:10.0.0.5", "127.0.0.1:9991", None, False),
    ("127.0.0.1", "localhost:9991", "http://localhost:9991", True),
    ("192.168.1.20", "127.0.0.1:9991", None, False),  # another machine, even with a loopback Host
    ("127.0.0.1", "devbox.example:9991", None, False),  # a name a DNS-rebinding page would send
    ("127.0.0.1", "127.0.0.1:8080", None, False),  # not our port
    ("127.0.0.1", "127.0.0.1:9991", "http://localhost:9991", False),  # another origin
    ("127.0.0.1", "127.0.0.1:9991", "null", False),
])
def test_the_page_answers_loopback_peers_by_their_own_address_only(peer, host, origin, allowed):
    headers = {"Host": host, **({"Origin": origin} if origin else {})}
    request = make_mocked_request("GET", "/", headers=headers, transport=_Transport(peer))
    refused = refusal(request)
    assert (refused is None) == allowed
    if refused is not None:
        assert refused.status == 403 and b"FORBIDDEN" in refused.body


def test_demo_keep_prints_the_page_address_and_the_page_shows_the_demo(browser, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WYZEPAL_") or k == "WYZEPAL_DEVSERVER_RECORD"}
    env["XDG_STATE_HOME"] = str(tmp_path)  # a spool of its own: not what earlier demos left undelivered
    demo = subprocess.Popen([sys.executable, "-m", "wyzepal_notifier", "demo", "--keep"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = []
        for line in demo.stdout:
            lines.append(line)
            if line.startswith("keeping "):
                break
        output = "".join(lines)
        match = re.search(r"in a browser on this machine \(no key needed\): (http://\S+/)\n", output)
        assert match, output
        browser.get(match.group(1))
        wait_for(browser, "document.querySelectorAll('.message').length >= 5", timeout=15)
        assert browser.execute_script("return document.querySelector('#status').textContent") == "live"
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=15)
        demo.stdout.close()
        demo.stderr.close()


def test_the_page_ships_in_the_wheel(tmp_path):
    """package_data: an installed dev server (not just a clone) has the page's files."""
    from pathlib import Path

    from wyzepal_notifier.devserver.webpage import FILES

    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py", "-d",
                    str(tmp_path)], cwd=root, check=True, capture_output=True)
    shipped = {p.name for p in (tmp_path / "wyzepal_notifier" / "devserver" / "static").iterdir()}
    assert shipped >= set(FILES)
