"""Shared by the Python client's tests: the registry they run against (CAIRN_URL / CAIRN_TOKEN,
set by test/e2e/python.test.mjs around a real `npm start`), fresh artifact names, scratch
directories, and a proxy in front of the registry that counts requests and can break them.

    proxy = Proxy(os.environ["CAIRN_URL"])      # in setUpClass; proxy.url for the client
    proxy.requests                              # [Request(method, path, sent, status)]
    proxy.drop = lambda method, path: bool      # close the connection instead of forwarding
    proxy.before = lambda method, path: None    # runs before the request body is read
    proxy.tamper = lambda method, path: bool    # flip the first byte of the answer's body
    proxy.after = lambda request: None          # once an answer has been sent
    proxy.stop()
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import sys
import tempfile
import threading
import unittest
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from unittest import mock
from urllib.parse import urlsplit

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLIENT_DIR = os.path.join(ROOT, "clients", "python")
if CLIENT_DIR not in sys.path:
    sys.path.insert(0, CLIENT_DIR)

from cairn import Registry  # noqa: E402

MiB = 1024 * 1024
URL = os.environ.get("CAIRN_URL", "")
TOKEN = os.environ.get("CAIRN_TOKEN", "")


def needs_registry(cls: type) -> type:
    """Skips a suite run outside `npm run test:python` (no registry to talk to)."""
    return unittest.skipUnless(URL and TOKEN, "CAIRN_URL and CAIRN_TOKEN are not set")(cls)


def fresh_name(stem: str) -> str:
    """An artifact name no other test uses (the suites share one registry)."""
    return f"t{secrets.token_hex(4)}/{stem}"


class Scratch:
    """A temp directory that goes away with the test."""

    def __init__(self, case: unittest.TestCase) -> None:
        self.path = tempfile.mkdtemp(prefix="cairn-py-")
        case.addCleanup(shutil.rmtree, self.path, True)

    def file(self, rel: str, data: bytes) -> str:
        path = os.path.join(self.path, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def join(self, *parts: str) -> str:
        return os.path.join(self.path, *parts)


def random_file(path: str, size: int) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, MiB)
            f.write(os.urandom(n))
            left -= n
    return path


def tree(root: str) -> dict[str, bytes]:
    """Every file under root: relative path → bytes."""
    out = {}
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                out[os.path.relpath(path, root).replace(os.sep, "/")] = f.read()
    return out


@dataclass
class Request:
    method: str
    path: str
    #: Request-body bytes forwarded.
    sent: int = 0
    #: The answer's status (0: none, the proxy dropped it or the client went away).
    status: int = 0


class Proxy:
    def __init__(self, target: str) -> None:
        upstream = urlsplit(target)
        self.requests: list[Request] = []
        self.drop: Callable[[str, str], bool] | None = None
        self.before: Callable[[str, str], None] | None = None
        self.tamper: Callable[[str, str], bool] | None = None
        self.after: Callable[[Request], None] | None = None
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                path = self.path.split("?")[0]
                entry = Request(self.command, path)
                proxy.requests.append(entry)
                if proxy.before:
                    proxy.before(self.command, path)
                if proxy.drop and proxy.drop(self.command, path):
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                up = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=300)
                try:
                    up.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                    for name, value in self.headers.items():
                        up.putheader(name, value)
                    up.endheaders()
                    while entry.sent < length:
                        chunk = self.rfile.read(min(MiB, length - entry.sent))
                        if not chunk:  # the client gave up mid-body
                            self.close_connection = True
                            return
                        up.send(chunk)
                        entry.sent += len(chunk)
                    res = up.getresponse()
                    body = res.read()
                finally:
                    up.close()
                if body and proxy.tamper and proxy.tamper(self.command, path):
                    body = bytes([body[0] ^ 0xFF]) + body[1:]
                self.send_response(res.status)
                for name, value in res.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                entry.status = res.status
                if proxy.after:
                    proxy.after(entry)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def reset(self) -> None:
        self.requests = []
        self.drop = self.before = self.tamper = self.after = None

    def matching(self, method: str, pattern: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]

    def count(self, method: str, pattern: str) -> int:
        return len(self.matching(method, pattern))

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class ProxiedCase(unittest.TestCase):
    """A suite whose clients talk through one Proxy; each test gets a scratch directory and its
    own hash cache (what one test hashed must not help another)."""

    proxy: Proxy

    @classmethod
    def setUpClass(cls) -> None:
        cls.proxy = Proxy(URL)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.proxy.stop()

    def setUp(self) -> None:
        self.proxy.reset()
        self.scratch = Scratch(self)
        patcher = mock.patch.dict(os.environ, {"XDG_CACHE_HOME": self.scratch.join("cache")})
        patcher.start()
        self.addCleanup(patcher.stop)

    def client(self, **options: object) -> Registry:
        """A client going through the proxy, closed after the test."""
        reg = registry(self.proxy.url, **options)
        self.addCleanup(reg.close)
        return reg


def registry(url: str = "", **options: object) -> Registry:
    """A client of the test registry (or of `url`, e.g. a proxy), progress off."""
    return Registry(url or URL, TOKEN, progress=False, **options)  # type: ignore[arg-type]
