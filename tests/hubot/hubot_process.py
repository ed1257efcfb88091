"""A real Hubot 14 running the hubot-wyzepal adapter, started as a user starts it."""
from __future__ import annotations

import filecmp
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

from hubot_harness import HERE, REPO, bridge_env

NODE_MODULES = HERE / "node_modules"
ADAPTER_SOURCE = REPO / "plugins" / "hubot" / "hubot-wyzepal"
PING_SCRIPT = """\
// Description:
//   What the end-to-end tests ask of Hubot.
export default robot => {
  robot.respond(/ping$/i, res => res.send('PONG'))
  robot.respond(/whoami$/i, res => {
    const user = robot.brain.userForId(res.message.user.id)
    return res.reply(`you are ${user.name} <${user.email_address}>`)
  })
  robot.respond(/announce (.+)$/i, res => robot.messageRoom('stream:ci topic:announcements', res.match[1]))
  robot.respond(/ack$/i, res => res.react('thumbs_up'))
  robot.hearReaction(msg => msg.type === 'added' && msg.reaction === 'eyes',
    res => res.send(`saw :${res.message.reaction}: from ${res.message.user.name} on ${res.message.item.id}`))
  robot.topic(res => res.send(`topic is now ${res.message.text} (${res.message.change})`))
}
"""


def assert_bot_folder_installed() -> None:
    """Hubot and a current copy of the adapter in tests/hubot/node_modules (tox runs npm ci)."""
    hint = "run: npm ci --prefix tests/hubot --install-links"
    assert (NODE_MODULES / "hubot" / "bin" / "hubot").is_file(), f"Hubot 14 is not installed for the tests; {hint}"
    installed = NODE_MODULES / "hubot-wyzepal"
    for source in [ADAPTER_SOURCE / "index.mjs", *sorted((ADAPTER_SOURCE / "src").glob("*.mjs"))]:
        copy = installed / source.relative_to(ADAPTER_SOURCE)
        assert copy.is_file() and filecmp.cmp(source, copy, shallow=False), \
            f"the installed adapter's {copy.name} is older than the source; {hint}"


def bridge_command() -> Optional[str]:
    """The installed console script when it is there (tox); else the module (PYTHONPATH runs)."""
    script = Path(sys.executable).parent / "wyzepal-hubot-bridge"
    if script.is_file() and shutil.which("wyzepal-hubot-bridge") == str(script):
        return None  # the adapter's default finds it on PATH, as for a user
    return f'["{sys.executable}", "-m", "wyzepal_hubot"]'


def memory_kib(pid: int) -> tuple[int, int]:
    """``(VmRSS, VmHWM)`` of a process in KiB: resident memory now and at its peak."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def is_running(pid: int) -> bool:
    """Alive and not a zombie waiting for a parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_until_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not is_running(pid)


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class HubotRun:
    """``hubot -a hubot-wyzepal`` in a bot folder of its own, with a small script."""

    def rss_kib(self) -> tuple[int, int]:
        """Hubot's (Node's) resident memory now and at its peak, in KiB."""
        return memory_kib(self.proc.pid)

    def __init__(self, server: Any, folder: Path, script: str = PING_SCRIPT, **env: str) -> None:
        assert_bot_folder_installed()
        (folder / "scripts").mkdir(parents=True, exist_ok=True)
        (folder / "scripts" / "ping.mjs").write_text(script)
        environment = bridge_env(server, **{"HUBOT_WYZEPAL_RESTART_DELAY": "0.2", "HUBOT_LOG_LEVEL": "info", **env})
        command = bridge_command()
        if command:
            environment["HUBOT_WYZEPAL_BRIDGE"] = command
        self.log_path = folder / "hubot.log"
        self.server = server
        self._queues_before = set(server.queue_ids())
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(["node", str(NODE_MODULES / "hubot" / "bin" / "hubot"), "-a", "hubot-wyzepal",
                                          "-d", "-n", "Hubot"], cwd=folder, env=environment,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def bridge_pid(self, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            children = children_of(self.proc.pid)
            if children:
                return children[0]
            time.sleep(0.05)
        raise AssertionError(f"Hubot started no bridge; its log:\n{self.log}")

    def wait_until_listening(self, timeout: float = 20.0) -> None:
        """Until the bridge's event queue exists on the server."""
        deadline = time.monotonic() + timeout
        while not set(self.server.queue_ids()) - self._queues_before:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"Hubot is not listening; its log:\n{self.log}")
            time.sleep(0.05)

    def terminate(self, timeout: float = 15.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in children_of(self.proc.pid):
            os.kill(pid, signal.SIGKILL)
