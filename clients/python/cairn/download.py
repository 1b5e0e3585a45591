"""Downloads that verify while they stream: every chunk goes through SHA-256 on its way to disk,
into a temp file beside the destination that replaces it only when digest and size match (a
tampered or truncated body leaves nothing behind). Manifest paths are checked before any byte is
written: the registry refuses unsafe paths at publish, but a pull does not trust that.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
from typing import Callable

from .errors import PATH_UNSAFE, VERIFY_FAILED, CairnError
from .transport import READ_CHUNK, Response


def unsafe_path_reason(path: str) -> str | None:
    """Why a manifest path is unsafe to write, or None when it is fine."""
    if not path:
        return "empty path"
    if "\0" in path:
        return "NUL byte in path"
    if "\\" in path:
        return "backslash in path"
    if path.startswith("/") or os.path.isabs(path) or re.match(r"^[A-Za-z]:", path):
        return "absolute path"
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            return f'"{segment}" segment'
    return None


def _escape(path: str, reason: str) -> CairnError:
    return CairnError(
        0,
        PATH_UNSAFE,
        f"refusing to write {path!r}: {reason}; it would escape the target directory",
        {"path": path},
    )


def safe_join(root: str, path: str) -> str:
    """The absolute destination of manifest `path` under `root`; CairnError if it would escape."""
    reason = unsafe_path_reason(path)
    if reason:
        raise _escape(path, reason)
    base = os.path.abspath(root)
    target = os.path.abspath(os.path.join(base, *path.split("/")))
    if not target.startswith(base + os.sep):
        raise _escape(path, "outside the target directory")
    return target


def assert_real_parent_inside(root: str, parent: str, path: str) -> None:
    """After the parent directory exists: it must really be inside the root (no symlink out)."""
    real_root, real_parent = os.path.realpath(root), os.path.realpath(parent)
    if real_parent != real_root and not real_parent.startswith(real_root + os.sep):
        raise _escape(path, f"its directory resolves to {real_parent}")


def mismatch(
    what: str, digest: str, size: int, got_digest: str, got_size: int, after: str = ""
) -> CairnError:
    detail = f"{got_size} bytes instead of {size}" if got_size != size else f"it hashes to {got_digest}"
    return CairnError(
        0,
        VERIFY_FAILED,
        f"{what}: verification failed ({detail}, expected {digest}){after}",
        {"expected": digest, "got": got_digest, "size": got_size},
    )


def download_to(res: Response, dest: str, digest: str, size: int, on_bytes: Callable[[int], None]) -> None:
    """Writes the body of `res` to `dest` atomically, only if it hashes to `digest` and is `size` bytes."""
    temp = os.path.join(os.path.dirname(dest), f".cairn-{os.getpid()}-{secrets.token_hex(6)}.part")
    h = hashlib.sha256()
    got = 0
    try:
        with res, open(temp, "xb") as out:
            while True:
                chunk = res.read(READ_CHUNK)
                if not chunk:
                    break
                h.update(chunk)
                out.write(chunk)
                got += len(chunk)
                on_bytes(len(chunk))
        got_digest = f"sha256:{h.hexdigest()}"
        if got_digest != digest or got != size:
            raise mismatch(dest, digest, size, got_digest, got, "; nothing was written")
        os.replace(temp, dest)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise


class VerifiedReader(io.RawIOBase):
    """A file's bytes as they stream from the registry, hashed on the way: reading to the end
    raises CairnError (VERIFY_FAILED) instead of returning EOF if they are not what the manifest
    says. Closing before the end stops the download (nothing is verified then)."""

    def __init__(self, res: Response, digest: str, size: int, name: str) -> None:
        super().__init__()
        self._res = res
        self._hash = hashlib.sha256()
        self._got = 0
        self.digest = digest
        self.size = size
        self.name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        data = self._res.read(len(view)) if len(view) else b""
        if not data and len(view):
            got = f"sha256:{self._hash.hexdigest()}"
            if got != self.digest or self._got != self.size:
                raise mismatch(self.name, self.digest, self.size, got, self._got)
            return 0
        self._hash.update(data)
        self._got += len(data)
        view[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        """The rest, read in 1 MiB chunks (RawIOBase's own reads 8 KiB at a time)."""
        chunks: list[bytes] = []
        while True:
            chunk = self.read(READ_CHUNK)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def close(self) -> None:
        if not self.closed:
            self._res.close()
        super().close()
