"""The guides, run as written: a fresh clone, one venv, the READMEs' own command lines, the dev server.

The clone is of the committed HEAD (in CI: the commit under test). The shell
blocks are taken from the README text itself (so a guide edited into
something that does not work breaks the build), with only what a reader
substitutes: their repository's path for ``/srv/...`` and an editor for
``$EDITOR`` that writes the dev server's site, the bot and its key. One venv
serves every guide; each guide's ``pip install`` line runs in it, as the reader
would run it on that host.

Not run here: the root README's second command (``tox``: that is what CI runs
around this test), the Hubot adapter's npm part (tests/hubot runs real Hubot),
and tracd itself (the Trac guide's ticket is saved through Trac's API, as its
web form does; tests/trac runs a real tracd).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOT, KEY = "guide-bot@example.com", "guidekey0123456789abcdefghijklmn"
STREAMS = ["general", "commits", "ci"]
EDITOR = """#!/bin/sh
# What the reader types into the template: the dev server, the bot, its key, a channel.
sed -i -e "s|^WYZEPAL_SITE = .*|WYZEPAL_SITE = \\"$GUIDE_SITE\\"|" \\
       -e "s|^WYZEPAL_USER = .*|WYZEPAL_USER = \\"$GUIDE_USER\\"|" \\
       -e "s|^WYZEPAL_API_KEY = .*|WYZEPAL_API_KEY = \\"$GUIDE_KEY\\"|" \\
       -e "s|^STREAM_FOR_NOTIFICATIONS = .*|STREAM_FOR_NOTIFICATIONS = \\"general\\"|" \\
       -e "s|^JENKINS_URL = .*|JENKINS_URL = \\"http://127.0.0.1:9/\\"|" "$1"
"""


def blocks(readme: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", (ROOT / readme).read_text(encoding="utf-8"), re.DOTALL)


def block_with(readme: str, marker: str) -> str:
    found = [b for b in blocks(readme) if marker in b]
    assert found, f"{readme} has no shell block with {marker!r}: the guide changed, so must this test"
    return found[0]


def line_with(readme: str, marker: str) -> str:
    for block in blocks(readme):
        for line in block.splitlines():
            if marker in line:
                return line
    raise AssertionError(f"{readme} has no command line with {marker!r}")


class Guide:
    """A clone, a venv, and a shell that runs README text in them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.clone = folder / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(self.clone)], check=True)
        venv = folder / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        self.bin = venv / "bin"
        self.home = folder / "home"
        self.home.mkdir()
        editor = folder / "editor.sh"
        editor.write_text(EDITOR)
        editor.chmod(0o755)
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("WYZEPAL_", "HUBOT_", "JENKINS_", "VIRTUAL_ENV", "PYTHON"))}
        self.env.update(PATH=f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}", HOME=str(self.home),
                        EDITOR=str(editor), PIP_DISABLE_PIP_VERSION_CHECK="1", VIRTUAL_ENV=str(venv))

    def sh(self, script: str, cwd: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=str(cwd), capture_output=True,
                              text=True, timeout=timeout, env={**self.env, **env})
        assert done.returncode == 0, f"$ {script}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        return done

    def install(self, readme: str, marker: str) -> None:
        self.sh(line_with(readme, marker), self.clone)


@pytest.fixture(scope="module")
def guide(tmp_path_factory) -> Guide:
    return Guide(tmp_path_factory.mktemp("guides"))


@pytest.fixture
def chat(devserver_factory):
    return devserver_factory(users=[(BOT, KEY, "Guide Bot")], streams=STREAMS)


def editing(chat) -> dict[str, str]:
    return {"GUIDE_SITE": chat.site, "GUIDE_USER": BOT, "GUIDE_KEY": KEY}


def arrived(chat, count: int = 1, timeout: float = 60.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = chat.messages()
        if len(messages) >= count:
            return messages
        time.sleep(0.2)
    raise AssertionError(f"{len(chat.messages())} of {count} message(s) arrived")


def test_the_readme_demo_runs_as_written(guide):
    first = blocks("README.md")[0].splitlines()[0]
    assert first.startswith("python3 -m pip install '.[devserver]' && wyzepal-integrations demo")
    done = guide.sh(first, guide.clone)
    assert "arrived" in done.stdout


def test_the_git_guide_delivers_the_first_push(guide, chat, tmp_path):
    guide.install("plugins/git/README.md", "python3 -m pip install '.'")
    repo = tmp_path / "project.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    setup = block_with("plugins/git/README.md", "ln -s").replace("/srv/git/project.git", str(repo))
    guide.sh(setup, tmp_path, **editing(chat))
    text = (ROOT / "plugins/git/README.md").read_text(encoding="utf-8")
    check = re.search(r"`(wyzepal-integrations check --config /srv/git/[^`]*)`", text).group(1)
    guide.sh(check.replace("/srv/git/project.git", str(repo)), tmp_path)
    work = tmp_path / "work"
    script = (f"git clone -q {repo} {work} && cd {work} && git config user.email a@example.com && "
              "git config user.name Alice && echo hi > README && git add README && "
              "git commit -q -m 'First commit' && git push -q origin HEAD:main")
    guide.sh(script, tmp_path)
    [message] = arrived(chat)
    assert "First commit" in message["content"]


def test_the_svn_guide_delivers_the_first_commit(guide, chat, tmp_path):
    guide.install("plugins/svn/README.md", "python3 -m pip install '.'")
    repo = tmp_path / "project"
    subprocess.run(["svnadmin", "create", str(repo)], check=True)
    setup = block_with("plugins/svn/README.md", "cat > post-commit").replace("/srv/svn/project", str(repo))
    guide.sh(setup, tmp_path, **editing(chat))
    work = tmp_path / "wc"
    script = (f"svn checkout -q file://{repo} {work} && cd {work} && echo hi > README && svn add -q README && "
              "svn commit -q -m 'First revision' --username alice")
    guide.sh(script, tmp_path)
    [message] = arrived(chat)
    assert "First revision" in message["content"]


def test_the_jenkins_guide_from_a_wheel_announces_a_build(guide, chat, tmp_path):
    """The wheel way (a host without the clone): build it in the clone, install the file."""
    wheel = block_with("plugins/jenkins/README.md", "pip wheel")
    guide.sh(wheel, guide.clone)
    guide.sh("wyzepal-integrations template jenkins -o . && $EDITOR wyzepal_jenkins_config.py", tmp_path,
             **editing(chat))
    jenkinsfile = (ROOT / "plugins/jenkins/README.md").read_text(encoding="utf-8")  # the step in its Jenkinsfile
    command = re.search(r'sh "(wyzepal-jenkins-notify[^"]*)"', jenkinsfile).group(1).replace(
        "${currentBuild.currentResult}", "FAILURE")
    guide.sh(command + " --config wyzepal_jenkins_config.py", tmp_path, JOB_NAME="app", BUILD_NUMBER="7",
             BUILD_URL="http://127.0.0.1:9/job/app/7/")
    [message] = arrived(chat)
    assert "app #7" in message["content"] or "app" in message["subject"]


def test_the_hubot_guide_checks_the_bot(guide, chat, tmp_path):
    install = block_with("plugins/hubot/README.md", "python3 -m pip install '.[hubot]'")
    guide.sh(install, guide.clone)
    bot = tmp_path / "mybot"
    bot.mkdir()
    write = line_with("plugins/hubot/README.md", "template hubot").split(" #")[0].strip()
    guide.sh(write + " && $EDITOR wyzepal_hubot_config.py", bot,
             **editing(chat))
    done = guide.sh("wyzepal-hubot-bridge --check", bot)
    assert f"OK: logged in to {chat.site}" in done.stdout


TICKET = """
import sys
from trac.env import Environment
from trac.ticket.model import Ticket

env = Environment(sys.argv[1])
ticket = Ticket(env)
ticket.populate({"summary": "The first ticket", "reporter": "alice", "description": "hello",
                 "type": "defect", "status": "new", "priority": "major", "owner": ""})
ticket.insert()
env.shutdown()
"""


def test_the_trac_guide_announces_the_first_ticket(guide, chat, tmp_path):
    """Installed the pip way, enabled with the README's trac-admin lines; a ticket saved (as the web form does)."""
    guide.install("plugins/trac/README.md", "python3 -m pip install '.[trac]'")
    env, etc = tmp_path / "env", tmp_path / "etc"
    etc.mkdir()
    guide.sh(f"trac-admin {env} initenv project sqlite:db/trac.db", tmp_path)
    enable = block_with("plugins/trac/README.md", "config set components")
    guide.sh(enable.replace("/path/to/env", str(env)).replace("/etc/trac", str(etc)), tmp_path)
    guide.sh(f"wyzepal-integrations template trac -o {etc} && $EDITOR {etc}/wyzepal_trac_config.py", tmp_path,
             **editing(chat))
    (tmp_path / "ticket.py").write_text(TICKET)
    guide.sh(f"python3 ticket.py {env}", tmp_path)
    [message] = arrived(chat)
    assert "The first ticket" in message["content"] + message["subject"]
