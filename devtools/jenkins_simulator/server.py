"""The simulator on a real HTTP server (``http.server.ThreadingHTTPServer``).

``stop()`` closes the listening socket and every open connection, so clients
see a real outage; ``start()`` again serves the same data on the same port.
"""
from __future__ import annotations

import base64
import binascii
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

from .model import Jenkins, User
from .routes import Answer, Request, answer, parse_form


class JenkinsSimulator:
    """A simulated Jenkins controller served over loopback HTTP."""

    def __init__(self, jenkins: Optional[Jenkins] = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.jenkins = jenkins or Jenkins()
        self.host = host
        self.port = port
        self.requests: list[tuple[str, str]] = []
        self._failures: list[tuple[Answer, Optional[str]]] = []
        self._delay = 0.0
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._connections: set[socket.socket] = set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> JenkinsSimulator:
        server = ThreadingHTTPServer((self.host, self.port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self.jenkins.url = self.url
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"jenkins-simulator:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            for conn in list(self._connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._connections.clear()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> JenkinsSimulator:
        return self.start() if not self.running else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- faults and observation ----------------------------------------------------

    def fail_next(self, count: int, status: int = 503, path: Optional[str] = None) -> None:
        """The next ``count`` requests (whose path contains ``path``, if given) get ``status``.

        As a proxy in front of Jenkins would answer, or Jenkins failing one kind of request.
        """
        self.answer_next(count, status, f"HTTP ERROR {status}", path)

    def answer_next(self, count: int, status: int, body: Any, path: Optional[str] = None) -> None:
        """The next ``count`` requests (whose path contains ``path``) get this answer instead of Jenkins'.

        ``body`` is sent as JSON when it is a dict or a list, e.g. what a misconfigured proxy or a
        plugin's odd export would give.
        """
        with self._lock:
            self._failures.extend([(Answer(status, body), path)] * count)

    def delay(self, seconds: float) -> None:
        self._delay = seconds

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def _next_failure(self, path: str) -> Optional[Answer]:
        with self._lock:
            for index, (canned, part) in enumerate(self._failures):
                if part is None or part in path:
                    del self._failures[index]
                    return canned
            return None

    def _record(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((method, path))

    def _authenticate(self, header: Optional[str]) -> tuple[Optional[User], Optional[Answer]]:
        if not header:
            return None, None
        scheme, _, encoded = header.partition(" ")
        try:
            user_id, _, secret = base64.b64decode(encoded).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user_id, secret = "", ""
        user = self.jenkins.users.get(user_id)
        if scheme.lower() != "basic" or user is None or user.token != secret:
            return None, Answer(401, f"Invalid password/token for user: {user_id}",
                                {"WWW-Authenticate": 'Basic realm="Jenkins"'})
        return user, None


def _handler_for(simulator: JenkinsSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "Jetty(10.0.20)"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes; without this, Nagle meets delayed ACKs (40 ms each).
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with simulator._lock:
                simulator._connections.add(self.connection)

        def finish(self) -> None:
            with simulator._lock:
                simulator._connections.discard(self.connection)
            super().finish()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
            return None

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            simulator._record(method, self.path)
            if simulator._delay:
                time.sleep(simulator._delay)
            failure = simulator._next_failure(self.path)
            if failure is not None:
                self._send(failure)
                return
            user, refusal = simulator._authenticate(self.headers.get("Authorization"))
            if refusal is not None:
                self._send(refusal)
                return
            parts = urlsplit(self.path)
            request = Request(method, parts.path, parse_qs(parts.query),
                              parse_form(body, self.headers.get("Content-Type", "")), user,
                              self.headers.get("Jenkins-Crumb"))
            self._send(answer(simulator.jenkins, request))

        def _send(self, result: Answer) -> None:
            if isinstance(result.body, (dict, list)):
                payload = json.dumps(result.body).encode("utf-8")
                content_type = "application/json;charset=utf-8"
            else:
                payload = result.body.encode("utf-8")
                content_type = "text/html;charset=utf-8"
            self.send_response(result.status)
            self.send_header("Content-Type", result.headers.get("Content-Type", content_type))
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Jenkins", simulator.jenkins.version)
            self.send_header("X-Hudson", "1.395")
            for name, value in result.headers.items():
                if name != "Content-Type":
                    self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler
