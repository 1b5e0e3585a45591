"""What a version was made with: the git remote (credentials stripped), commit and dirty state of
the working tree, and the environment lockfiles next to the code (the git top level, else the
current directory), in the formats the registry's diff understands.
"""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any
from urllib.parse import urlsplit, urlunsplit

LOCKFILE_NAMES = (
    "requirements.txt",
    "uv.lock",
    "poetry.lock",
    "Pipfile.lock",
    "environment.yml",
    "package-lock.json",
)
_COMMIT_RE = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def _git(args: list[str], cwd: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
        )
    except OSError:
        return None  # no git installed
    return done.stdout.strip() if done.returncode == 0 else None


def redact_remote(url: str) -> str:
    """`https://user:secret@host/x.git` → `https://host/x.git`; scp-style `git@host:x` stays."""
    parts = urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def git_info(cwd: str) -> tuple[str, dict[str, Any]] | None:
    """(top level, {repo, commit, dirty}) of the repository around `cwd`, or None outside one."""
    top = _git(["rev-parse", "--show-toplevel"], cwd)
    if not top:
        return None
    code: dict[str, Any] = {}
    names = (_git(["remote"], cwd) or "").split()
    remote_name = "origin" if "origin" in names else (names[0] if names else None)
    remote = _git(["remote", "get-url", remote_name], cwd) if remote_name else None
    if remote:
        code["repo"] = redact_remote(remote)
    commit = _git(["rev-parse", "--verify", "-q", "HEAD"], cwd)
    if commit and _COMMIT_RE.match(commit):
        code["commit"] = commit
    status = _git(["status", "--porcelain", "--untracked-files=no"], cwd)
    if status is not None:
        code["dirty"] = len(status) > 0
    return top, code


def find_lockfiles(directory: str) -> list[str]:
    """Absolute paths of the known lockfiles in `directory`."""
    return [
        os.path.join(directory, name)
        for name in LOCKFILE_NAMES
        if os.path.isfile(os.path.join(directory, name))
    ]
