"""SHA-256 of files read in 1 MiB chunks (a file is never held whole in memory), and the cache of
digests that lets a push of an unchanged directory read only metadata.

The cache (what git's index and DVC's state do) trusts an entry only if the file's device,
inode, size, mtime and ctime (nanoseconds) are all unchanged: ctime moves on every write and
cannot be set back by a user. Entries whose ctime is within RACY_SECONDS of the hashing are not
stored ("racily clean", as git says: a write in the same clock tick would leave ctime alone), so
they are hashed again next time. It lives in `$XDG_CACHE_HOME/cairn/hashes.json` (else
`~/.cache/cairn`), the same file and format as the Node CLI's. A corrupt file is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Mapping
from typing import Callable

READ_CHUNK = 1024 * 1024
_VERSION = 1
RACY_SECONDS = 2.0
#: Beyond this many entries the oldest are dropped (about 150 bytes each on disk).
MAX_ENTRIES = 500_000


def hash_file(path: str, on_bytes: Callable[[int], None] | None = None) -> tuple[str, int]:
    """(`sha256:<hex>`, size) of the file's bytes as read now."""
    h = hashlib.sha256()
    size = 0
    buf = bytearray(READ_CHUNK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(view[:n])  # hashlib releases the GIL here: threads hash in parallel
            size += n
            if on_bytes:
                on_bytes(n)
    return f"sha256:{h.hexdigest()}", size


def sha256_bytes(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def hash_cache_path(env: Mapping[str, str] = os.environ) -> str:
    base = env.get("XDG_CACHE_HOME", "").strip() or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "cairn", "hashes.json")


def _fingerprint(st: os.stat_result) -> list[str]:
    return [str(st.st_dev), str(st.st_ino), str(st.st_size), str(st.st_mtime_ns), str(st.st_ctime_ns)]


class HashCache:
    def __init__(self, path: str | None = None) -> None:
        self.path = path or hash_cache_path()
        self._entries: dict[str, list[str]] = {}
        self._changed = False
        self._lock = threading.Lock()
        try:
            with open(self.path, encoding="utf-8") as f:
                parsed = json.load(f)
            if parsed.get("version") == _VERSION:
                for file, entry in parsed.get("entries", []):
                    if isinstance(entry, list) and len(entry) == 6:
                        self._entries[file] = entry
        except (OSError, ValueError, AttributeError, TypeError):
            pass

    def lookup(self, file: str, st: os.stat_result) -> str | None:
        """The digest recorded for this exact file state, or None."""
        entry = self._entries.get(file)
        if entry is None or entry[:5] != _fingerprint(st):
            return None
        return entry[5]

    def record(self, file: str, st: os.stat_result, digest: str, hashed_at: float) -> None:
        """Records a digest computed from the file in state `st`, read from time `hashed_at` on."""
        if st.st_ctime_ns / 1e9 > hashed_at - RACY_SECONDS:
            return
        with self._lock:
            self._entries.pop(file, None)  # re-inserted last: the newest entries survive the cap
            self._entries[file] = [*_fingerprint(st), digest]
            self._changed = True

    def save(self) -> None:
        """Writes the cache if anything was recorded (temp file + rename: never half-written)."""
        if not self._changed:
            return
        entries = list(self._entries.items())[-MAX_ENTRIES:]
        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        temp = f"{self.path}.{os.getpid()}.py.tmp"
        with open(temp, "w", encoding="utf-8") as f:
            json.dump({"version": _VERSION, "entries": entries}, f, separators=(",", ":"))
        os.replace(temp, self.path)
        self._changed = False
