"""The transport: keep-alive HTTP/1.1 connections (http.client) from a small pool, so the 8
upload threads each reuse a connection instead of opening one per request. Every non-2xx answer
and every failure to get one becomes a CairnError.

A connection idle for more than IDLE_SECONDS is not reused (servers close idle keep-alive
connections, Node's after 5 s, and a request sent on one just as it closes would fail); a
request without a streamed body that fails on a reused connection before any answer is sent
once more on a new one.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

from .errors import BAD_RESPONSE, NETWORK_ERROR, TIMEOUT, CairnError, error_from_body
from .version import __version__

READ_CHUNK = 1024 * 1024
IDLE_SECONDS = 4.0
#: Errors that mean "the connection went away", as opposed to a timeout.
_DROPPED = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class Body(Protocol):
    """A streamed request body: http.client calls read(blocksize) until it returns b""."""

    def read(self, size: int = -1) -> bytes: ...


def artifact_path(name: str) -> str:
    """`acme/model` → `acme/model`, each segment percent-encoded (names are URL-safe already)."""
    return "/".join(quote(s, safe="") for s in name.split("/"))


def ref_path(ref: str) -> str:
    """A ref as the rest of a path: `/`, `:` and `@` kept, anything unusual encoded."""
    return quote(ref, safe="/:@")


class Response:
    """An answer whose body has not been read yet. Read it (or close it) to free the connection."""

    def __init__(self, transport: Transport, conn: http.client.HTTPConnection, raw: http.client.HTTPResponse):
        self._transport = transport
        self._conn: http.client.HTTPConnection | None = conn
        self._raw = raw
        self.status: int = raw.status
        self.headers = raw.headers
        self.request_id: str | None = raw.getheader("x-request-id")

    def header(self, name: str) -> str | None:
        return self._raw.getheader(name)

    def read(self, size: int = -1) -> bytes:
        try:
            data = self._raw.read() if size < 0 else self._raw.read(size)
        except (OSError, http.client.HTTPException) as err:
            self.close()
            raise self._transport.failure(err, "reading the answer") from err
        if size < 0 or not data or self._raw.isclosed():
            self._done()
        return data

    def json(self) -> Any:
        body = self.read()
        try:
            return json.loads(body.decode("utf-8")) if body else None
        except (UnicodeDecodeError, ValueError):
            raise CairnError(
                self.status, BAD_RESPONSE, f"an answer that is not JSON: {body[:120]!r}", {}, self.request_id
            ) from None

    def _done(self) -> None:
        """The body was read to its end: the connection may serve the next request."""
        conn, self._conn = self._conn, None
        if conn is not None:
            if self._raw.will_close:
                conn.close()
            else:
                self._transport.release(conn)

    def close(self) -> None:
        """Stops reading. A body left unread cannot be skipped cheaply, so its connection closes."""
        conn, self._conn = self._conn, None
        if conn is not None:
            if self._raw.isclosed() and not self._raw.will_close:
                self._transport.release(conn)
            else:
                conn.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Transport:
    def __init__(self, base_url: str, token: str | None, *, timeout: float = 300.0) -> None:
        parts = urlsplit(base_url)
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._idle: list[tuple[http.client.HTTPConnection, float]] = []
        self._lock = threading.Lock()
        self._ssl = ssl.create_default_context() if self._https else None

    # Connections

    def _connect(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection
        if self._https:
            conn = http.client.HTTPSConnection(
                self._host, self._port, timeout=self.timeout, context=self._ssl, blocksize=READ_CHUNK
            )
        else:
            conn = http.client.HTTPConnection(
                self._host, self._port, timeout=self.timeout, blocksize=READ_CHUNK
            )
        conn.connect()
        # A body is sent after its headers: without this, Nagle's algorithm can hold the last
        # segment until the server's delayed ACK (tens of ms on every small upload).
        if conn.sock is not None:
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def _take(self) -> tuple[http.client.HTTPConnection | None, bool]:
        """An idle connection young enough to reuse (and True), or (None, False)."""
        now = time.monotonic()
        with self._lock:
            while self._idle:
                conn, since = self._idle.pop()
                if now - since < IDLE_SECONDS:
                    return conn, True
                conn.close()
        return None, False

    def release(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.append((conn, time.monotonic()))

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn, _ in idle:
            conn.close()

    # Requests

    def url(self, path: str, query: Mapping[str, Any] | None = None) -> str:
        pairs = [(k, str(v)) for k, v in (query or {}).items() if v is not None]
        return self._prefix + path + (f"?{urlencode(pairs)}" if pairs else "")

    def failure(self, err: BaseException, what: str) -> CairnError:
        if isinstance(err, (socket.timeout, TimeoutError)):
            return CairnError(0, TIMEOUT, f"{what} timed out after {self.timeout:g} s")
        reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
        return CairnError(0, NETWORK_ERROR, f"cannot reach {self.base_url} ({reason}) during {what}")

    def send(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        json_body: Any = None,
        body: Body | None = None,
        size: int | None = None,
        headers: Mapping[str, str] | None = None,
        allow: tuple[int, ...] = (),
        retry: bool = True,
    ) -> Response:
        """One request; returns the answer when it is 2xx (or in `allow`), else raises CairnError.

        `body` is streamed with Content-Length `size`; `retry=False` for requests that must not
        be sent twice (a retried metrics POST would record the metrics twice).
        """
        what = f"{method} {path}"
        all_headers = {"User-Agent": f"cairn-python/{__version__}", "Accept-Encoding": "identity"}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        data: bytes | Body | None = None
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
            all_headers["Content-Length"] = str(len(data))
        elif body is not None:
            data = body
            all_headers["Content-Type"] = "application/octet-stream"
            all_headers["Content-Length"] = str(size)
        elif method in ("POST", "PUT"):
            all_headers["Content-Length"] = "0"
        all_headers.update(headers or {})
        url = self.url(path, query)
        # A streamed body cannot be replayed here: the uploader retries those itself.
        attempts = 2 if retry and body is None else 1
        for attempt in range(attempts):
            conn, reused = self._take()
            try:
                if conn is None:
                    conn = self._connect()
                raw = self._exchange(conn, method, url, data, all_headers)
            except CairnError:
                if conn is not None:
                    conn.close()
                raise
            except (OSError, http.client.HTTPException) as err:
                if conn is not None:
                    conn.close()
                if reused and attempt + 1 < attempts and isinstance(err, _DROPPED):
                    continue
                raise self.failure(err, what) from err
            except BaseException:
                if conn is not None:
                    conn.close()
                raise
            res = Response(self, conn, raw)
            if 200 <= res.status < 300 or res.status in allow:
                return res
            raise error_from_body(res.status, res.read(), res.request_id, what)
        raise AssertionError("unreachable")

    @staticmethod
    def _exchange(
        conn: http.client.HTTPConnection,
        method: str,
        url: str,
        data: bytes | Body | None,
        headers: Mapping[str, str],
    ) -> http.client.HTTPResponse:
        try:
            conn.request(method, url, body=data, headers=dict(headers))
        except (BrokenPipeError, ConnectionResetError):
            # The server answered before it read the whole body (401, 413) and closed: the
            # answer may still be waiting in the socket, and it says more than the broken pipe.
            try:
                return conn.getresponse()
            except (OSError, http.client.HTTPException):
                pass
            raise
        return conn.getresponse()

    def json(self, method: str, path: str, **options: Any) -> tuple[int, Any]:
        """A JSON answer: (status, parsed body)."""
        res = self.send(method, path, **options)
        return res.status, res.json()
