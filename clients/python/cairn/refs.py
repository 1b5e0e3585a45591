"""Refs and artifact names, checked before any request: `ns/name` alone means `ns/name:latest`."""

from __future__ import annotations

import re

from .errors import usage

_NAME = r"[a-z0-9][a-z0-9._-]{0,63}/[a-z0-9][a-z0-9._-]{0,63}"
_NAME_RE = re.compile(f"^{_NAME}$")
_REF_RE = re.compile(f"^{_NAME}(:[A-Za-z0-9_][A-Za-z0-9._-]{{0,127}}|@([0-9]+|sha256:[0-9a-f]{{64}}))$")
DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")


def normalize_ref(raw: str) -> str:
    """`acme/data` → `acme/data:latest`; `ns/name:tag`, `ns/name@3`, `ns/name@sha256:…` as they are."""
    ref = f"{raw}:latest" if _NAME_RE.match(raw) else raw
    if not _REF_RE.match(ref):
        raise usage(
            f'"{raw}" is not a ref: refs are ns/name, ns/name:tag, ns/name@<n> or ns/name@sha256:<hex>'
        )
    return ref


def artifact_name(raw: str) -> str:
    if not _NAME_RE.match(raw):
        raise usage(f'"{raw}" is not an artifact name: names are ns/name, lowercase [a-z0-9._-]')
    return raw


def split_tag_ref(ref: str) -> tuple[str, str | None]:
    """`ns/name:tag` → (`ns/name`, `tag`); any other ref → (`ns/name`, None)."""
    if "@" not in ref and ":" in ref:
        name, tag = ref.split(":", 1)
        return name, tag
    return re.sub(r"[@:].*$", "", ref), None
