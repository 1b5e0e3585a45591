"""Uploads the blobs a registry is missing: ask `/v1/blobs/check` (1,000 digests a round trip),
then send only the missing ones, `parallel` at a time, largest first. A blob up to the
single-request limit is one PUT; a larger one is a multipart upload whose parts go one after the
other, in order (the server then hashes them as they stream, and completion costs no re-read).
Starting the same digest again returns the open session and the parts it already has, so a push
that was interrupted resumes where it stopped and sends only the missing parts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable, TypeVar

from .errors import FILE_CHANGED, INTERRUPTED, CairnError
from .pool import map_limit
from .progress import Progress
from .transport import Transport

MiB = 1024 * 1024
#: The server's default single-request limit; a 413 tells us the real one.
DEFAULT_SINGLE_LIMIT = 95 * MiB
CHECK_BATCH = 1000
ATTEMPTS = 3
_RETRY_CODES = ("NETWORK_ERROR", "TIMEOUT", "UPLOAD_IN_PROGRESS", "BLOB_BUSY")

T = TypeVar("T")


@dataclass(frozen=True)
class UploadItem:
    abs: str
    digest: str
    size: int


@dataclass
class UploadStats:
    blobs: int = 0
    missing: int = 0
    uploaded_blobs: int = 0
    uploaded_bytes: int = 0
    check_requests: int = 0
    #: Parts a resumed multipart session already had.
    resumed_parts: int = 0


class FileSlice:
    """Bytes [start, end) of a file as an http.client body, counted as they go. A file that
    ends early (it shrank since it was hashed) fails the request instead of leaving the server
    waiting for the rest of its Content-Length."""

    def __init__(
        self, path: str, start: int, end: int, on_bytes: Callable[[int], None], cancel: threading.Event
    ):
        self._path = path
        self._left = end - start
        self._on_bytes = on_bytes
        self._cancel = cancel
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._file.seek(start)

    def read(self, size: int = -1) -> bytes:
        if self._cancel.is_set():
            raise CairnError(0, INTERRUPTED, "interrupted")
        if self._left <= 0:
            return b""
        data = self._file.read(self._left if size < 0 else min(size, self._left))
        if not data:
            raise CairnError(0, FILE_CHANGED, f"{self._path} shrank while it was being uploaded; push again")
        self._left -= len(data)
        self._on_bytes(len(data))
        return data

    def close(self) -> None:
        self._file.close()


def missing_blobs(transport: Transport, digests: Sequence[str]) -> list[str]:
    """The digests not stored yet, asking in batches of 1,000 (one round trip each)."""
    missing: list[str] = []
    for i in range(0, len(digests), CHECK_BATCH):
        _, body = transport.json(
            "POST", "/v1/blobs/check", json_body={"digests": list(digests[i : i + CHECK_BATCH])}
        )
        missing.extend(body["missing"])
    return missing


def _changed_while_sent(err: CairnError, path: str) -> CairnError:
    """A DIGEST_MISMATCH on bytes we hashed ourselves: the file changed after it was hashed."""
    if err.code != "DIGEST_MISMATCH":
        return err
    return CairnError(
        err.status,
        err.code,
        f"{path}: the bytes sent do not hash to the digest computed before; the file changed while it "
        "was being pushed (nothing was stored): push again",
        {**err.details, "path": path},
        err.request_id,
    )


class Uploader:
    def __init__(
        self,
        transport: Transport,
        *,
        parallel: int,
        single_limit: int,
        part_size: int | None,
        progress: Progress,
        cancel: threading.Event,
    ) -> None:
        self._http = transport
        self._parallel = parallel
        self._single_limit = single_limit
        self._part_size = part_size
        self._progress = progress
        self._cancel = cancel
        self._lock = threading.Lock()
        self.stats = UploadStats()

    def upload_missing(self, items: Sequence[UploadItem]) -> UploadStats:
        by_digest = {item.digest: item for item in items}
        digests = list(by_digest)
        missing = sorted((by_digest[d] for d in missing_blobs(self._http, digests)), key=lambda i: -i.size)
        self.stats = UploadStats(
            blobs=len(digests), missing=len(missing), check_requests=-(-len(digests) // CHECK_BATCH)
        )
        self._progress.total_bytes = sum(item.size for item in missing)
        self._progress.total_items = len(missing)
        map_limit(missing, self._parallel, self._upload_one, self._cancel)
        return self.stats

    def _upload_one(self, item: UploadItem) -> None:
        sent = 0
        if item.size <= self._single_limit:
            try:
                self._send(lambda on_bytes: self._put_blob(item, on_bytes), item.abs)
                sent = item.size
            except CairnError as err:
                # The server's limit is lower than ours: it says which, and we go multipart.
                if err.code != "BLOB_TOO_LARGE":
                    raise
                limit = err.details.get("limit")
                with self._lock:
                    self._single_limit = min(
                        self._single_limit, limit if isinstance(limit, int) and limit > 0 else item.size - 1
                    )
        if item.size > self._single_limit:
            sent = self._upload_in_parts(item)
        with self._lock:
            self.stats.uploaded_blobs += 1
            self.stats.uploaded_bytes += sent
        self._progress.add_item()

    def _put_blob(self, item: UploadItem, on_bytes: Callable[[int], None]) -> None:
        body = FileSlice(item.abs, 0, item.size, on_bytes, self._cancel)
        try:
            self._http.send("PUT", f"/v1/blobs/{item.digest}", body=body, size=item.size).read()
        finally:
            body.close()

    def _upload_in_parts(self, item: UploadItem) -> int:
        """One multipart upload, resumed if a session for this digest is open; returns bytes sent."""
        request = {"digest": item.digest, "size": item.size}
        if self._part_size:
            request["partSize"] = self._part_size
        _, session = self._http.json("POST", "/v1/uploads", json_body=request)
        if session.get("exists"):
            self._progress.add_bytes(item.size)
            return 0
        upload_id, part_size, part_count = session["uploadId"], session["partSize"], session["partCount"]
        have = set(session.get("parts", []))

        def bounds(n: int) -> tuple[int, int]:
            return (n - 1) * part_size, min(n * part_size, item.size)

        for n in have:
            start, end = bounds(n)
            self._progress.add_bytes(end - start)
        with self._lock:
            self.stats.resumed_parts += len(have)
        sent = 0
        for n in range(1, part_count + 1):
            if n in have:
                continue
            start, end = bounds(n)

            def put_part(
                on_bytes: Callable[[int], None], n: int = n, start: int = start, end: int = end
            ) -> None:
                body = FileSlice(item.abs, start, end, on_bytes, self._cancel)
                try:
                    self._http.send(
                        "PUT", f"/v1/uploads/{upload_id}/parts/{n}", body=body, size=end - start
                    ).read()
                finally:
                    body.close()

            self._send(put_part, item.abs)
            sent += end - start
        self._send(lambda _: self._http.send("POST", f"/v1/uploads/{upload_id}/complete").read(), item.abs)
        return sent

    def _send(self, attempt: Callable[[Callable[[int], None]], T], path: str) -> T:
        """A few tries on network errors, 5xx and busy answers; progress rolled back per failed try."""
        for i in range(1, ATTEMPTS + 1):
            counted = [0]

            def on_bytes(n: int, counted: list[int] = counted) -> None:
                counted[0] += n
                self._progress.add_bytes(n)

            try:
                return attempt(on_bytes)
            except CairnError as err:
                self._progress.take_back_bytes(counted[0])
                retryable = err.code in _RETRY_CODES or err.status >= 500
                if i >= ATTEMPTS or self._cancel.is_set() or not retryable:
                    raise _changed_while_sent(err, path) from None
                time.sleep(0.25 * 2**i)
        raise AssertionError("unreachable")
