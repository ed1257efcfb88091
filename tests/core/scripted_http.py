"""A real HTTP(S) server on loopback that answers what a test scripts, for what the dev server cannot say.

The dev server speaks the API; some answers only broken proxies give (``Retry-After: inf``,
an HTTP date) or need TLS with a certificate nobody trusts. Each scripted answer is
``(status, headers, body)``; when none is left, every request gets ``200`` and ``DEFAULT_BODY``.
Certificates are made with the ``openssl`` command line, self-signed for 127.0.0.1.
"""
from __future__ import annotations

import json
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional

DEFAULT_BODY = {"result": "success", "msg": "", "email": "tester@example.com", "user_id": 7, "id": 1}


def self_signed_certificate(folder: Path, name: str = "server") -> tuple[Path, Path]:
    """``(cert.pem, key.pem)`` for CN=127.0.0.1 with IP and DNS subject alternative names."""
    cert, key = folder / f"{name}.pem", folder / f"{name}-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class ScriptedServer:
    """``with ScriptedServer(tls=(cert, key)) as server: server.script(429, {"Retry-After": "inf"})``."""

    def __init__(self, tls: Optional[tuple[Path, Path]] = None) -> None:
        self._answers: list[tuple[int, dict[str, str], Any]] = []
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []
        self.handshake_failures = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                status, headers, body = owner._next(self.command, self.path)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = _answer  # noqa: N815 - http.server's names

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                owner.handshake_failures += 1  # a client that refused our certificate hung up

        self._server = Server(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True,
                                                      do_handshake_on_connect=False)
            scheme = "https"
        self.site = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def script(self, status: int, headers: Optional[dict[str, str]] = None, body: Any = None) -> None:
        with self._lock:
            self._answers.append((status, headers or {}, DEFAULT_BODY if body is None else body))

    def _next(self, method: str, path: str) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.requests.append((method, path))
            return self._answers.pop(0) if self._answers else (200, {}, DEFAULT_BODY)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
