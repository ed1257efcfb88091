"""A bot's key and a CI server's tokens show nowhere but where they were written.

Every host runs with one unique fake key (and tokens in its environment), as
real processes against the dev server; the key must not appear in their
stdout, stderr, the argv of any process they start (``/proc/*/cmdline``), or
the environment of the detached worker they leave behind (``/proc/<pid>/environ``).
The spool holds the key by design (0600, see ``outbox/spool.py``); nothing else may.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from wyzepal_notifier.outbox.detached import start_worker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "git"))
from gitrig import Remote  # noqa: E402  (the git tests' rig: a bare repository with the hook installed)

KEY = "SeCrEtKeY-4f1c9a7e2b6d4c0e8a3f5b1d7c9e2a6f"
BOT = "secret-bot@example.com"
TOKEN = "JeNkInSToKeN-0d9c8b7a6f5e4d3c2b1a"

#: What a worker must not get: the parent's secrets by every common name.
SECRETS = {
    "WYZEPAL_API_KEY": KEY, "HUBOT_WYZEPAL_API_KEY": KEY, "ZULIP_API_KEY": KEY, "JENKINS_API_TOKEN": TOKEN,
    "JENKINS_PASSWORD": TOKEN, "GITHUB_TOKEN": TOKEN, "GL_TOKEN": TOKEN, "AWS_SECRET_ACCESS_KEY": TOKEN,
    "CI_JOB_TOKEN": TOKEN, "NPM_TOKEN": TOKEN, "DB_PASSWORD": TOKEN, "APP_SECRET": TOKEN,
    "SOME_API_KEY": TOKEN, "my_token": TOKEN, "SSH_PASSPHRASE": TOKEN, "PRIVATE_KEY": TOKEN,
    "SLACK_WEBHOOK_SECRET": TOKEN, "TRAC_PASSWD": TOKEN, "REGISTRY_AUTH": TOKEN,
}
#: What a worker needs, kept as it is.
NEEDED = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/home/someone", "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8", "https_proxy": "http://proxy.example:3128", "HTTPS_PROXY": "http://proxy.example:3128",
    "no_proxy": "localhost,127.0.0.1", "NO_PROXY": "localhost", "http_proxy": "http://proxy.example:3128",
    "REQUESTS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt", "SSL_CERT_FILE": "/etc/ssl/cert.pem",
    "SSL_CERT_DIR": "/etc/ssl/certs", "CURL_CA_BUNDLE": "/etc/ssl/certs/ca.crt", "TZ": "UTC",
    "XDG_STATE_HOME": "/tmp/state", "WYZEPAL_OUTBOX_EXIT_TIMEOUT": "3",
}


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode("utf-8", "replace").split("\0") if "=" in item)


def every_cmdline() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found.append((entry / "cmdline").read_bytes().decode("utf-8", "replace").replace("\0", " "))
            except OSError:
                continue
    return found


def workers_of(spool: Path) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                line = (entry / "cmdline").read_bytes().decode("utf-8", "replace")
            except OSError:
                continue
            if "wyzepal_notifier.outbox.worker" in line and str(spool) in line:
                pids.append(int(entry.name))
    return pids


def wait_for_worker(spool: Path, timeout: float = 15.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = workers_of(spool)
        if pids:
            return pids[0]
        time.sleep(0.02)
    raise AssertionError(f"no worker for {spool} started")


def stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


@pytest.fixture
def server(devserver_factory):
    return devserver_factory(users=[(BOT, KEY, "Secret Bot")], streams=["general", "commits", "ci"])


def test_the_detached_worker_gets_no_secret_and_everything_it_needs(tmp_path, monkeypatch):
    for name, value in {**SECRETS, **NEEDED}.items():
        monkeypatch.setenv(name, value)
    spool = tmp_path / "w-outbox.sqlite3"
    spool.touch()
    worker = start_worker(spool, "--give-up-after", "30",
                          env={"JENKINS_NODE_COOKIE": "dontKillMe", "BUILD_ID": "dontKillMe"})
    try:
        env = environ_of(worker.pid)
    finally:
        worker.terminate()
        worker.wait(10)
    leaked = sorted(name for name in SECRETS if name in env)
    assert leaked == [] and KEY not in str(env) and TOKEN not in str(env)
    missing = sorted(name for name, value in NEEDED.items() if env.get(name) != value)
    assert missing == []
    assert env["JENKINS_NODE_COOKIE"] == "dontKillMe" and env["BUILD_ID"] == "dontKillMe"
    assert str(Path(__import__("wyzepal_notifier").__file__).parent.parent) in env["PYTHONPATH"].split(os.pathsep)


def cli(*args: str, env: dict, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wyzepal_notifier", *args], capture_output=True, text=True,
                          env=env, timeout=60, cwd=cwd)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WYZEPAL_")}
    return {**env, **extra}


def assert_no_key(*texts: str) -> None:
    for text in texts:
        assert KEY not in text and TOKEN not in text, text[:2000]


def config(tmp_path: Path, site: str, key: str = KEY, stream: str = "ci") -> Path:
    path = tmp_path / "wyzepal_generic_config.py"
    path.write_text(textwrap.dedent(f"""
        WYZEPAL_SITE = "{site}"
        WYZEPAL_USER = "{BOT}"
        WYZEPAL_API_KEY = "{key}"
        STREAM_FOR_NOTIFICATIONS = "{stream}"
    """))
    path.chmod(0o600)
    return path


@pytest.mark.parametrize("args", [
    ("check", "--config", "{config}"),
    ("check", "--config", "{config}", "--ping"),
    ("-v", "check", "--config", "{config}", "--ping"),
    ("send", "--stream", "ci", "--topic", "t", "--content", "hello"),
    ("-v", "send", "--stream", "ci", "--topic", "t", "--content", "hello"),
    ("send", "--stream", "nowhere", "--topic", "t", "--content", "refused"),
], ids=["check", "check --ping", "check --ping -v", "send", "send -v", "send refused"])
def test_cli_commands_never_show_the_key(tmp_path, server, args):
    path = config(tmp_path, server.site)
    env = clean_env(WYZEPAL_SITE=server.site, WYZEPAL_USER=BOT, WYZEPAL_API_KEY=KEY, JENKINS_API_TOKEN=TOKEN)
    done = cli(*[a.format(config=path) for a in args], env=env)
    assert "Traceback" not in done.stderr, done.stderr
    assert_no_key(done.stdout, done.stderr)


@pytest.mark.parametrize("wrong", ["wrong-key-" + "x" * 22, KEY[:-1]], ids=["another key", "the key less a char"])
def test_a_refused_key_is_not_repeated_in_the_error(tmp_path, server, wrong):
    path = config(tmp_path, server.site, key=wrong)
    done = cli("check", "--config", str(path), "--ping", env=clean_env())
    assert done.returncode != 0 and wrong not in done.stdout + done.stderr
    sent = cli("send", "--stream", "ci", "--topic", "t", "--content", "x", env=clean_env(
        WYZEPAL_SITE=server.site, WYZEPAL_USER=BOT, WYZEPAL_API_KEY=wrong))
    assert sent.returncode == 1 and wrong not in sent.stdout + sent.stderr


def test_send_outbox_and_outbox_status_never_show_the_key(tmp_path, server):
    """The detached worker of ``send --outbox``: not in its argv or environment; not in ``outbox status``."""
    spool = tmp_path / "cli-outbox.sqlite3"
    server.faults.delay(3, n=1, path="messages")  # the worker is still at work when we look
    env = clean_env(WYZEPAL_SITE=server.site, WYZEPAL_USER=BOT, WYZEPAL_API_KEY=KEY, JENKINS_API_TOKEN=TOKEN)
    done = cli("send", "--outbox", str(spool), "--stream", "ci", "--topic", "t", "--content", "later", env=env)
    assert done.returncode == 0, done.stderr
    pid = wait_for_worker(spool)
    try:
        assert_no_key(done.stdout, done.stderr, *every_cmdline(), str(environ_of(pid)))
    finally:
        server.wait_for_messages(1, timeout=20)
        stop(pid)
    for args in (("outbox", "status", "--outbox", str(spool)), ("outbox", "status", "--json", "--outbox", str(spool)),
                 ("outbox", "flush", "--outbox", str(spool), "--timeout", "5")):
        shown = cli(*args, env=clean_env())
        assert "Traceback" not in shown.stderr
        assert_no_key(shown.stdout, shown.stderr)


def test_a_git_push_leaves_no_key_in_any_output_argv_or_worker_environment(tmp_path, server):
    remote = Remote(tmp_path, server.site, (BOT, KEY))
    remote.write_config(STREAM_FOR_NOTIFICATIONS="commits")
    server.faults.delay(3, n=1, path="messages")
    remote.commit("a change")
    pushed = remote.push("origin", "main", env={"WYZEPAL_API_KEY": KEY, "JENKINS_API_TOKEN": TOKEN,
                                                "GITHUB_TOKEN": TOKEN})
    pid = wait_for_worker(remote.spool())
    try:
        env = environ_of(pid)
        assert_no_key(pushed.stdout, pushed.stderr, *every_cmdline(), str(env))
        assert "WYZEPAL_API_KEY" not in env and "GITHUB_TOKEN" not in env
    finally:
        server.wait_for_messages(1, timeout=20, stream="commits")
        stop(pid)


def jenkins_step(tmp_path: Path, server, *args: str) -> tuple[subprocess.CompletedProcess, Path]:
    spool = tmp_path / "jenkins-outbox.sqlite3"
    path = tmp_path / "wyzepal_jenkins_config.py"
    path.write_text(f"WYZEPAL_SITE = {server.site!r}\nWYZEPAL_USER = {BOT!r}\nWYZEPAL_API_KEY = {KEY!r}\n"
                    f"STREAM_FOR_NOTIFICATIONS = 'ci'\nJENKINS_URL = 'http://127.0.0.1:9/'\n"
                    f"JENKINS_USER = 'reader'\nJENKINS_API_TOKEN = {TOKEN!r}\nOUTBOX_PATH = {str(spool)!r}\n"
                    f"STATE_PATH = {str(tmp_path / 'state.json')!r}\n")
    path.chmod(0o600)
    env = clean_env(JOB_NAME="app", BUILD_NUMBER="7", BUILD_URL="http://127.0.0.1:9/job/app/7/",
                    JENKINS_URL="http://127.0.0.1:9/", BUILD_ID="7", JENKINS_API_TOKEN=TOKEN,
                    JENKINS_PASSWORD=TOKEN, WYZEPAL_API_KEY=KEY)
    done = subprocess.run([sys.executable, "-c", "import sys; from wyzepal_notifier.cli.entry import jenkins_notify; "
                           "sys.exit(jenkins_notify())", "--config", str(path), "--result", "FAILURE", *args],
                          capture_output=True, text=True, env=env, timeout=60)
    return done, spool


@pytest.mark.parametrize("args", [("--dry-run",), ("--dry-run", "-v")], ids=["dry-run", "dry-run -v"])
def test_the_jenkins_step_dry_run_never_shows_the_key_or_token(tmp_path, server, args):
    done, _ = jenkins_step(tmp_path, server, *args)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "app" in done.stdout  # it did print the message it would send
    assert_no_key(done.stdout, done.stderr)


def test_the_jenkins_step_leaves_a_worker_without_its_tokens(tmp_path, server):
    server.faults.delay(4, n=1, path="messages")  # slower than the step waits: a worker takes over
    done, spool = jenkins_step(tmp_path, server, "--timeout", "0.5", "-v")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    pid = wait_for_worker(spool)
    try:
        env = environ_of(pid)
        assert_no_key(done.stdout, done.stderr, *every_cmdline(), str(env))
        assert env.get("JENKINS_NODE_COOKIE") == "dontKillMe"  # it still outlives the build
    finally:
        server.wait_for_messages(1, timeout=20, stream="ci")
        stop(pid)


@pytest.mark.parametrize("key", [KEY, KEY[::-1]], ids=["its key", "a refused key"])
@pytest.mark.parametrize("verbose", [(), ("-v",)], ids=["quiet", "-v"])
def test_the_hubot_bridge_check_never_shows_the_key(tmp_path, server, key, verbose):
    env = clean_env(HUBOT_WYZEPAL_SITE=server.site, HUBOT_WYZEPAL_USER=BOT, HUBOT_WYZEPAL_API_KEY=key)
    env.pop("HUBOT_WYZEPAL_CONFIG", None)
    done = subprocess.run([sys.executable, "-c", "import sys; from wyzepal_hubot.cli import main; sys.exit(main())",
                           "--check", *verbose], capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)
    assert done.returncode == (0 if key == KEY else 2), done.stderr
    assert ("OK: logged in" in done.stdout) == (key == KEY)
    assert "Traceback" not in done.stderr
    assert key not in done.stdout + done.stderr and KEY not in done.stdout + done.stderr
