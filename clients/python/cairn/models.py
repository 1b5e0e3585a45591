"""The shapes of the registry's answers that the client hands back (plain dicts parsed from JSON,
typed for editors and type checkers), and the results the client builds itself.

The larger answers (a version's detail, a diff, an explanation, a lineage graph, an impact) are
returned as the registry sends them (`dict[str, Any]`); the README and API.md list their fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, TypedDict

from .upload import UploadStats

#: A version detail, diff, explanation, lineage graph or impact, as the registry answers it.
Answer = dict[str, Any]


class Resolved(TypedDict):
    ref: str
    artifact: str
    version: int
    digest: str
    manifestUrl: str


class ManifestFile(TypedDict):
    path: str
    digest: str
    size: int


class Input(TypedDict, total=False):
    ref: str
    role: str


class TagMove(TypedDict, total=False):
    tag: str
    digest: str
    previous: Optional[str]  # noqa: UP045 - evaluated by get_type_hints() on 3.9
    artifact: str
    version: int
    #: True when the tag already pointed there (nothing was written).
    unchanged: bool


class VersionSummary(TypedDict):
    version: int
    digest: str
    createdAt: str
    createdBy: str
    fileCount: int
    size: int
    tags: list[str]
    labels: dict[str, str]


@dataclass(frozen=True)
class Published:
    """What a push (or a run) published."""

    artifact: str
    version: int
    digest: str
    manifest_url: str
    #: False when this exact content was already a version (the registry answered it, no new number).
    created: bool
    files: int
    bytes: int
    upload: UploadStats = field(default_factory=UploadStats)

    @property
    def ref(self) -> str:
        """The immutable ref of this version: `ns/name@sha256:…`."""
        return f"{self.artifact}@{self.digest}"


@dataclass(frozen=True)
class Pulled:
    artifact: str
    version: int
    digest: str
    dest: str
    files: int
    downloaded: int
    #: Files already present with the right digest (not downloaded again).
    skipped: int
    bytes: int


@dataclass(frozen=True)
class Verified:
    digest: str
    files: int
    bytes: int
    #: Blobs checked: every file and lockfile.
    checked: int
