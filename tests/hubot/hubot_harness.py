"""Helpers for the Hubot tests: the bridge as a real child process, and the people in the chat."""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Optional

HUBOT = ("hubot@example.com", "h" * 32, "Hubot")
ALICE = {"email": "alice@example.com", "api_key": "a" * 32, "full_name": "Alice Liddell", "bot": False}
BOB = {"email": "bob@example.com", "api_key": "b" * 32, "full_name": "Bob Builder", "bot": False}

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def bridge_env(server: Any, **extra: str) -> dict[str, str]:
    """The environment a Hubot user sets: HUBOT_WYZEPAL_SITE, _USER and _API_KEY."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WYZEPAL_", "HUBOT_"))}
    if env.get("PYTHONPATH"):  # children may run in another folder
        env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in env["PYTHONPATH"].split(os.pathsep))
    env.update(HUBOT_WYZEPAL_SITE=server.site, HUBOT_WYZEPAL_USER=HUBOT[0], HUBOT_WYZEPAL_API_KEY=HUBOT[1])
    env.update(extra)
    return env


class BridgeRun:
    """``python -m wyzepal_hubot`` with pipes; lines from stdout are decoded and kept."""

    def __init__(self, env: dict[str, str], args: tuple[str, ...] = (), cwd: Optional[str] = None) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "wyzepal_hubot", *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                     cwd=cwd, bufsize=1)
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[dict] = []
        self.stderr: list[str] = []
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        for line in self.proc.stdout:
            try:
                self.lines.put(json.loads(line))
            except ValueError:
                self.lines.put({"type": "<not json>", "raw": line})

    def _read_stderr(self) -> None:
        for line in self.proc.stderr:
            self.stderr.append(line.rstrip("\n"))

    @property
    def log(self) -> str:
        return "\n".join(self.stderr)

    def send(self, **request: Any) -> None:
        self.send_raw(json.dumps(request))

    def send_raw(self, text: str) -> None:
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def expect(self, kind: str, timeout: float = 10.0, **fields: Any) -> dict:
        """The next line of ``kind`` whose fields match (earlier lines stay in ``seen``)."""
        for line in self.seen:
            if line.get("type") == kind and all(line.get(k) == v for k, v in fields.items()) \
                    and not line.get("_taken"):
                line["_taken"] = True
                return line
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind} line with {fields} within {timeout} s; seen {self.seen}\n"
                                     f"bridge log:\n{self.log}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(line)
            if line.get("type") == kind and all(line.get(k) == v for k, v in fields.items()):
                line["_taken"] = True
                return line

    def drain(self, seconds: float) -> list[dict]:
        """Every line that arrives within ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self.seen.append(self.lines.get(timeout=left))
            except queue.Empty:
                break
        return self.seen

    def request(self, kind: str, ref: str, text: str, room: Optional[str] = None, user: Optional[dict] = None,
                timeout: float = 10.0, **fields: Any) -> dict:
        """Send a request (``fields``: more of it, e.g. ``message_id``) and return its answer line (ack or error)."""
        self.send(type=kind, ref=ref, text=text, room=room, user=user, **fields)
        deadline = time.monotonic() + timeout
        while True:
            for kind_of_answer in ("ack", "error"):
                for line in self.seen:
                    if line.get("type") == kind_of_answer and line.get("ref") == ref:
                        return line
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer to {ref}; seen {self.seen}\nbridge log:\n{self.log}")
            self.drain(0.05)

    def close_stdin(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def wait(self, timeout: float = 10.0) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.close_stdin()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
