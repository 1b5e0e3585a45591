"""The files a push sends: one file, or every regular file under a directory (symlinks to files
are followed, symlinked directories are not, so a loop cannot trap the walk), named by their
POSIX path relative to that directory (NFC), sorted.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from dataclasses import dataclass

from .errors import usage


@dataclass(frozen=True)
class LocalFile:
    #: Absolute path on disk.
    abs: str
    #: Path inside the version: relative, `/`-separated.
    path: str
    size: int


def _nfc(path: str) -> str:
    return unicodedata.normalize("NFC", path)


def list_files(target: str, prefix: str = "") -> list[LocalFile]:
    """Every file `target` names (a file, or the files under a directory), paths under `prefix`."""
    try:
        st = os.stat(target)
    except OSError:
        raise usage(f"{target}: no such file or directory") from None
    root = os.path.abspath(target)
    if stat.S_ISREG(st.st_mode):
        return [LocalFile(root, _nfc(prefix or os.path.basename(root)), st.st_size)]
    if not stat.S_ISDIR(st.st_mode):
        raise usage(f"{target} is neither a file nor a directory")
    out: list[LocalFile] = []
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            abs_path = os.path.join(dirpath, name)
            try:
                info = os.stat(abs_path)  # follows a symlink to a file
            except OSError:
                continue  # a dangling link
            if not stat.S_ISREG(info.st_mode):
                continue  # sockets, fifos, devices, links to directories
            rel = os.path.relpath(abs_path, root).replace(os.sep, "/")
            out.append(LocalFile(abs_path, _nfc(f"{prefix}/{rel}" if prefix else rel), info.st_size))
    if not out:
        raise usage(f"{target} holds no files")
    out.sort(key=lambda f: f.path)
    return out
