"""A real Trac: ``trac-admin initenv``, ``tracd`` on a free loopback port, a browser session.

The plugin is installed either way a user would: the ``trac.plugins`` entry point
of the installed distribution (enabled in ``[components]``), or the single file
copied into the environment's ``plugins/`` folder.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Optional

import requests
from requests.auth import HTTPDigestAuth
from tracrig import write_config

REALM = "trac-tests"
ADMIN, PASSWORD = "admin", "s3cret"
SINGLE_FILE = Path(__file__).resolve().parents[2] / "plugins" / "trac" / "wyzepal_trac_plugin.py"


class _HiddenInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.values.setdefault(found["name"], found.get("value") or "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def trac_admin(env_path: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "trac.admin.console", str(env_path), *args],
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"trac-admin {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return done.stdout


class TracServer:
    """One Trac environment served by tracd, with the WyzePal plugin installed one way or the other."""

    def __init__(self, root: Path, chat_site: str, *, single_file: bool = False, users: Optional[dict] = None,
                 home: Optional[Path] = None, ini: str = "", **settings: Any) -> None:
        """``users``: more logins (name: password) besides the admin; ``home``: tracd's HOME (where the
        spool of older versions lived); ``ini``: more trac.ini text."""
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.env_path = root / "env"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.single_file = single_file
        self.users = {ADMIN: PASSWORD, **(users or {})}
        self.home = home
        self.ini = ini
        self.process: Optional[subprocess.Popen] = None
        self._create(chat_site, settings)

    @property
    def config_path(self) -> Path:
        folder = "plugins" if self.single_file else "conf"
        return self.env_path / folder / "wyzepal_trac_config.py"

    @property
    def log_path(self) -> Path:
        return self.env_path / "log" / "trac.log"

    def _create(self, chat_site: str, settings: dict) -> None:
        trac_admin(self.env_path, "initenv", "Test Project", "sqlite:db/trac.db",
                   "--inherit=", "--config=" + str(self._ini_snippet()))
        trac_admin(self.env_path, "permission", "add", ADMIN, "TRAC_ADMIN")
        if self.single_file:
            shutil.copy(SINGLE_FILE, self.env_path / "plugins")
        write_config(self.config_path, chat_site, **settings)
        lines = []
        for user, password in self.users.items():
            digest = hashlib.md5(f"{user}:{REALM}:{password}".encode()).hexdigest()  # noqa: S324 - htdigest's format
            lines.append(f"{user}:{REALM}:{digest}\n")
        (self.root / "htdigest").write_text("".join(lines))

    def _ini_snippet(self) -> Path:
        snippet = self.root / "extra.ini"
        components = "" if self.single_file else "[components]\nwyzepal_trac.* = enabled\n"
        snippet.write_text(f"[trac]\nbase_url = {self.url}\n[logging]\nlog_type = file\nlog_level = INFO\n"
                           + components + self.ini)
        return snippet

    # -- running tracd -----------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> TracServer:
        command = [sys.executable, "-m", "trac.web.standalone", "--hostname", "127.0.0.1", "--port", str(self.port),
                   "--auth", f"*,{self.root / 'htdigest'},{REALM}", "--single-env", str(self.env_path)]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        if self.home is not None:
            env["HOME"] = str(self.home)
            env.pop("XDG_STATE_HOME", None)
            env.pop("WYZEPAL_OUTBOX", None)
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=(self.root / "tracd.err").open("w"),
                                        env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("tracd exited: " + (self.root / "tracd.err").read_text())
            try:
                if requests.get(self.url + "/", timeout=10).status_code == 200:
                    return self
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or a loaded machine
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("tracd did not answer in time")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    # -- a browser ---------------------------------------------------------------------

    def login(self, user: str = ADMIN) -> requests.Session:
        session = requests.Session()
        response = session.get(self.url + "/login", auth=HTTPDigestAuth(user, self.users[user]), timeout=10)
        response.raise_for_status()
        assert "trac_auth" in session.cookies, "login did not set the trac_auth cookie"
        return session

    def form(self, session: requests.Session, path: str) -> dict[str, str]:
        """The hidden inputs of a page's forms (``__FORM_TOKEN``, ``view_time``...)."""
        page = session.get(self.url + path, timeout=10)
        page.raise_for_status()
        parser = _HiddenInputs()
        parser.feed(page.text)
        return parser.values

    def new_ticket(self, session: requests.Session, **fields: str) -> requests.Response:
        """POST /newticket as the form does; the answer is Trac's 303 to the new ticket."""
        data = {"__FORM_TOKEN": self.form(session, "/newticket")["__FORM_TOKEN"], "submit": "Create ticket"}
        data.update({f"field_{name}": value for name, value in fields.items()})
        return session.post(self.url + "/newticket", data=data, allow_redirects=False, timeout=30)

    def change_ticket(self, session: requests.Session, ticket_id: int, comment: str = "", action: str = "leave",
                      **fields: str) -> requests.Response:
        hidden = self.form(session, f"/ticket/{ticket_id}")
        data = {key: hidden[key] for key in ("__FORM_TOKEN", "view_time", "start_time") if key in hidden}
        data.update(comment=comment, action=action, submit="Submit changes")
        for name, value in fields.items():
            data[name if name.startswith("action_") else f"field_{name}"] = value
        return session.post(self.url + f"/ticket/{ticket_id}", data=data, allow_redirects=False, timeout=30)

    def post_form(self, session: requests.Session, path: str, form_page: Optional[str] = None,
                  files: Optional[dict] = None, **data: str) -> requests.Response:
        """POST to ``path`` as a page's form does (its ``__FORM_TOKEN``), without following the redirect."""
        token = self.form(session, form_page or path)["__FORM_TOKEN"]
        return session.post(self.url + path, data={"__FORM_TOKEN": token, **data}, files=files,
                            allow_redirects=False, timeout=60)

    def attach(self, session: requests.Session, realm: str, parent: str, filename: str, content: bytes,
               description: str = "") -> requests.Response:
        """The "Attach file" form of a ticket or wiki page."""
        path = f"/attachment/{realm}/{parent}/"
        return self.post_form(session, path, form_page=path + "?action=new", action="new", realm=realm,
                              id=parent, description=description, files={"attachment": (filename, content)})

    def delete_attachment(self, session: requests.Session, realm: str, parent: str, filename: str) -> requests.Response:
        path = f"/attachment/{realm}/{parent}/{filename}"
        return self.post_form(session, path, form_page=path + "?action=delete", action="delete")

    def batch_modify(self, session: requests.Session, ticket_ids: list, comment: str = "",
                     **values: str) -> requests.Response:
        """The batch modify form under a query's results."""
        data = {f"batchmod_value_{name}": value for name, value in values.items()}
        return self.post_form(session, "/batchmodify", form_page="/query", action="leave",
                              selected_tickets=",".join(str(i) for i in ticket_ids),
                              batchmod_value_comment=comment, query_href="/query", **data)

    @staticmethod
    def ticket_id(response: requests.Response) -> int:
        assert response.status_code == 303, (response.status_code, response.text[:2000])
        return int(response.headers["Location"].rsplit("/", 1)[1].split("#")[0])
