"""Run: the common training loop as a context manager.

    with registry.run("acme/churn-model", inputs=["acme/churn-data:latest"], params={"depth": 6}) as run:
        model = train(...)
        run.log_metric("auc", 0.91)
        run.add_file("model.pkl")
    print(run.published.version)

On entering, the inputs are resolved and pinned (an unknown ref fails before the training
starts, and the version records the input versions that were current when it started, even if
their tags move meanwhile), and the git commit and lockfiles are recorded. On leaving normally,
the added files are pushed and the version published; on an exception nothing is published.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import usage
from .files import LocalFile, list_files
from .models import Published, Resolved

if TYPE_CHECKING:
    from .client import CodeSpec, InputSpec, LockfileSpec, Provenance, Registry


def _main_script(root: str) -> str | None:
    """The running script's path relative to the code root, when it is inside it."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if not main_file:
        return None
    rel = os.path.relpath(os.path.abspath(main_file), root)
    return None if rel.startswith("..") or os.path.isabs(rel) else rel.replace(os.sep, "/")


class Run:
    def __init__(
        self,
        registry: Registry,
        name: str,
        *,
        kind: str,
        inputs: Iterable[InputSpec],
        params: Mapping[str, Any] | None,
        tags: Iterable[str],
        labels: Mapping[str, str] | None,
        code: CodeSpec,
        code_path: str | None,
        lockfiles: LockfileSpec,
        image: str | None,
    ) -> None:
        from .client import parse_input

        self.registry = registry
        self.name = name
        self.kind = kind
        self.params: dict[str, Any] = dict(params or {})
        self.metrics: dict[str, float] = {}
        self.tags = list(tags)
        self.labels = dict(labels or {})
        self.image = image
        self.files: list[LocalFile] = []
        #: The inputs as given ({"ref", "role"}); they are published pinned to `resolved`.
        self.inputs: list[dict[str, str]] = [parse_input(i) for i in inputs]
        #: What each input ref resolved to when the run started.
        self.resolved: list[Resolved] = []
        #: The published version, once the block has finished without an exception.
        self.published: Published | None = None
        self._code, self._code_path, self._lockfiles = code, code_path, lockfiles
        self._provenance: Provenance | None = None

    def __enter__(self) -> Run:
        from .client import Provenance

        self.resolved = [self.registry.resolve(i["ref"]) for i in self.inputs]
        auto_path = self._code_path == "auto"
        self._provenance = Provenance(self._code, None if auto_path else self._code_path, self._lockfiles)
        if auto_path and self._provenance.code:
            script = _main_script(self._provenance.code_root)
            if script:
                self._provenance.code["path"] = script
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None or self._provenance is None:
            return  # the block failed: publish nothing, let the exception through
        if not self.files:
            raise usage(f"run {self.name}: no files were added (run.add_file(path)), nothing to publish")
        pinned = [{**given, "ref": ref} for given, ref in zip(self.inputs, self.pinned)]
        self.published = self.registry.publish_files(
            self.name,
            self.files,
            kind=self.kind,
            inputs=pinned,
            params=self.params,
            metrics=self.metrics,
            tags=self.tags,
            labels=self.labels,
            provenance=self._provenance,
            image=self.image,
        )

    @property
    def pinned(self) -> list[str]:
        """The inputs as the versions they named when the run started, `ns/name@<n>` (what the
        version records; pull these rather than a tag that may move during the training)."""
        return [f"{found['artifact']}@{found['version']}" for found in self.resolved]

    def log_metric(self, key: str, value: float) -> None:
        """Records a metric (the last value logged for a key wins)."""
        number = float(value)
        if not math.isfinite(number):
            raise usage(f"metric {key}: {value!r} is not a finite number")
        self.metrics[key] = value if isinstance(value, int) and not isinstance(value, bool) else number

    def log_metrics(self, metrics: Mapping[str, float]) -> None:
        for key, value in metrics.items():
            self.log_metric(key, value)

    def log_param(self, key: str, value: Any) -> None:
        """Records a parameter (part of the manifest: it changes the version's identity)."""
        self.params[key] = value

    def add_file(self, path: str | os.PathLike[str], name: str | None = None) -> None:
        """Adds a file (named `name`, else its file name) or a directory (its files, under
        `name/` if given) to the version. The bytes are read when the run publishes."""
        added = list_files(os.fspath(path), name or "")
        taken = {f.path for f in self.files}
        for f in added:
            if f.path in taken:
                raise usage(f"run {self.name}: {f.path} was already added")
        self.files.extend(added)
