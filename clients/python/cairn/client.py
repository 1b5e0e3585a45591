"""Registry: the Python client of a Cairn registry, with the guarantees of the `cairn` CLI.

from cairn import Registry
registry = Registry()                      # CAIRN_URL and CAIRN_TOKEN (or url=, token=)
registry.push("data/", "acme/churn-data", kind="dataset", tags=["latest"])
registry.pull("acme/churn-data:latest", "data-copy/")
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Union, cast

from .config import load_settings
from .download import VerifiedReader, assert_real_parent_inside, download_to, mismatch, safe_join
from .errors import FILE_CHANGED, INTERRUPTED, VERIFY_FAILED, CairnError, usage
from .files import LocalFile, list_files
from .hashing import HashCache, hash_file, sha256_bytes
from .models import Answer, Published, Pulled, Resolved, TagMove, Verified, VersionSummary
from .pool import map_limit
from .progress import Progress, terminal_stream
from .provenance import find_lockfiles, git_info
from .refs import DIGEST_RE, artifact_name, normalize_ref, split_tag_ref
from .transport import READ_CHUNK, Transport, artifact_path, ref_path
from .upload import DEFAULT_SINGLE_LIMIT, Uploader, UploadItem

if TYPE_CHECKING:
    from .run import Run

KINDS = ("dataset", "model", "other")
#: Hashing is CPU on one core and I/O: a few files at a time keep the disk busy without thrashing.
HASH_PARALLEL = 4
#: `promote(expect=CURRENT)`: compare-and-swap on where the tag points when promote reads it.
CURRENT = "current"

#: An input: "ns/name:tag", "ns/name:tag=role" (as on the CLI), (ref, role) or {"ref", "role"}.
InputSpec = Union[str, Sequence[str], Mapping[str, str]]
#: "auto" (the git remote, commit and dirty state around the current directory), None, or a dict.
CodeSpec = Union[str, Mapping[str, Any], None]
#: "auto" (the known lockfiles at the git top level, else the current directory), None, or paths.
LockfileSpec = Union[str, Sequence[str], None]


def parse_input(spec: InputSpec) -> dict[str, str]:
    if isinstance(spec, str):
        ref, sep, role = spec.rpartition("=")
        return {"ref": normalize_ref(ref), "role": role} if sep and ref else {"ref": normalize_ref(spec)}
    if isinstance(spec, Mapping):
        out = {"ref": normalize_ref(spec["ref"])}
        if spec.get("role"):
            out["role"] = spec["role"]
        return out
    ref, role = spec
    return {"ref": normalize_ref(ref), "role": role}


class Provenance:
    """The code and environment of a version, captured at one moment (a push, or a run's start)."""

    def __init__(
        self, code: CodeSpec = "auto", code_path: str | None = None, lockfiles: LockfileSpec = "auto"
    ):
        if isinstance(code, str) and code not in ("auto", "none"):
            raise usage('code is "auto", "none", None or a dict of repo, commit, path, dirty')
        requested = [lockfiles] if isinstance(lockfiles, str) else list(lockfiles or [])
        git = git_info(os.getcwd()) if code == "auto" or "auto" in requested else None
        root = git[0] if git else os.getcwd()
        self.code: dict[str, Any] = {}
        if code == "auto" and git:
            self.code = dict(git[1])
        elif isinstance(code, Mapping):
            self.code = dict(code)
        if code_path:
            self.code["path"] = code_path
        paths: list[str] = []
        for item in requested:
            for path in find_lockfiles(root) if item == "auto" else [os.path.abspath(item)]:
                if path not in paths:
                    paths.append(path)
        self.code_root = root
        self.lockfiles = [self._lockfile(path, root) for path in paths]

    @staticmethod
    def _lockfile(path: str, root: str) -> LocalFile:
        """Named relative to the code root when inside it, else by its file name."""
        rel = os.path.relpath(path, root)
        inside = not rel.startswith("..") and not os.path.isabs(rel)
        return list_files(path, rel.replace(os.sep, "/") if inside else "")[0]


class Registry:
    """A Cairn registry.

    Args:
        url: the registry, e.g. ``http://127.0.0.1:8787`` (else ``CAIRN_URL``, else the file
            written by ``cairn login``).
        token: an API token (else ``CAIRN_TOKEN``, else that file).
        parallel: transfers in flight for push and pull.
        progress: a progress bar on stderr: None (the default) draws one only on a terminal.
        timeout: seconds to wait for any one read or write on a connection.
        multipart_threshold: blobs larger than this go up as multipart uploads (the registry's
            single-request limit, 95 MiB, by default; a lower limit the registry reports wins).
        part_size: the part size to ask for (at least 5 MiB; None: the registry's, 64 MiB).
        hash_cache: remember digests of unchanged files (device, inode, size, mtime, ctime), so
            pushing them again reads only metadata; False hashes every file every time.
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        parallel: int = 8,
        progress: bool | None = None,
        timeout: float = 300.0,
        multipart_threshold: int = DEFAULT_SINGLE_LIMIT,
        part_size: int | None = None,
        hash_cache: bool = True,
    ) -> None:
        if not 1 <= parallel <= 64:
            raise usage("parallel is 1 to 64")
        self.settings = load_settings(url, token)
        self.url = self.settings.url
        self.parallel = parallel
        self.progress = progress
        self.multipart_threshold = multipart_threshold
        self.part_size = part_size
        self.hash_cache = hash_cache
        self._http = Transport(self.url, self.settings.token, timeout=timeout)

    def __repr__(self) -> str:
        return f"Registry({self.url!r})"

    def close(self) -> None:
        """Closes idle connections (the registry can still be used afterwards)."""
        self._http.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _progress(self, label: str, total_bytes: int = 0, total_items: int = 0) -> Progress:
        return Progress(label, total_bytes, total_items, terminal_stream(self.progress))

    # Publishing

    def push(
        self,
        path: str | os.PathLike[str],
        name: str,
        *,
        kind: str = "other",
        inputs: Iterable[InputSpec] = (),
        params: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
        tags: Iterable[str] = (),
        labels: Mapping[str, str] | None = None,
        code: CodeSpec = "auto",
        code_path: str | None = None,
        lockfiles: LockfileSpec = "auto",
        image: str | None = None,
        rehash: bool = False,
        idempotency_key: str | None = None,
    ) -> Published:
        """Publishes a file or a directory as a new version of `name` (``ns/name``).

        Hashes every file (streamed; files unchanged since they were last hashed are not read
        again unless `rehash`), asks the registry which blobs it lacks, uploads only those
        (`parallel` at a time, multipart above the threshold, resuming an interrupted upload),
        then publishes the manifest with its inputs, code (`"auto"`: the git remote, commit and
        dirty state around the current directory) and lockfiles (`"auto"`: requirements.txt,
        uv.lock, poetry.lock, Pipfile.lock, environment.yml, package-lock.json at the git top
        level). Publishing the same content again returns the existing version.
        """
        files = list_files(os.fspath(path))
        return self.publish_files(
            name,
            files,
            kind=kind,
            inputs=[parse_input(i) for i in inputs],
            params=params,
            metrics=metrics,
            tags=tags,
            labels=labels,
            provenance=Provenance(code, code_path, lockfiles),
            image=image,
            rehash=rehash,
            idempotency_key=idempotency_key,
        )

    def publish_files(
        self,
        name: str,
        files: Sequence[LocalFile],
        *,
        kind: str,
        inputs: Sequence[Mapping[str, str]],
        params: Mapping[str, Any] | None,
        metrics: Mapping[str, float] | None,
        tags: Iterable[str],
        labels: Mapping[str, str] | None,
        provenance: Provenance,
        image: str | None,
        rehash: bool = False,
        idempotency_key: str | None = None,
    ) -> Published:
        """Hashes, uploads what is missing and publishes `files` (push and run use this)."""
        artifact_name(name)
        if kind not in KINDS:
            raise usage(f"kind is one of {', '.join(KINDS)}")
        everything = [*files, *provenance.lockfiles]
        cancel = threading.Event()
        digests = self._hash_all(everything, rehash, cancel)
        uploading = self._progress("upload")
        uploader = Uploader(
            self._http,
            parallel=self.parallel,
            single_limit=self.multipart_threshold,
            part_size=self.part_size,
            progress=uploading,
            cancel=cancel,
        )
        items = [UploadItem(f.abs, digest, size) for f, (digest, size) in zip(everything, digests)]
        stats = uploader.upload_missing(items)
        uploading.finish()

        body: dict[str, Any] = {
            "kind": kind,
            "files": [{"path": f.path, "digest": d, "size": s} for f, (d, s) in zip(files, digests)],
        }
        if inputs:
            body["inputs"] = [dict(i) for i in inputs]
        if provenance.code:
            body["code"] = provenance.code
        environment: dict[str, Any] = {}
        if provenance.lockfiles:
            environment["lockfiles"] = [
                {"path": f.path, "digest": d}
                for f, (d, _) in zip(provenance.lockfiles, digests[len(files) :])
            ]
        if image:
            environment["image"] = image
        if environment:
            body["environment"] = environment
        for key, value in (("params", params), ("metrics", metrics), ("labels", labels)):
            if value:
                body[key] = dict(value)
        tag_list = list(tags)
        if tag_list:
            body["tags"] = tag_list
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        res = self._http.send(
            "POST", f"/v1/artifacts/{artifact_path(name)}/versions", json_body=body, headers=headers
        )
        answer = res.json()
        return Published(
            artifact=answer["artifact"],
            version=answer["version"],
            digest=answer["digest"],
            manifest_url=answer["manifestUrl"],
            created=res.status == 201,
            files=len(files),
            bytes=sum(s for _, s in digests[: len(files)]),
            upload=stats,
        )

    def _hash_all(
        self, files: Sequence[LocalFile], rehash: bool, cancel: threading.Event
    ) -> list[tuple[str, int]]:
        cache = HashCache() if self.hash_cache and not rehash else None
        hashing = self._progress("hash", sum(f.size for f in files), len(files))

        def one(file: LocalFile) -> tuple[str, int]:
            if cancel.is_set():
                raise CairnError(0, INTERRUPTED, "interrupted")
            st = os.stat(file.abs)
            digest = cache.lookup(file.abs, st) if cache else None
            if digest is None:
                started = time.time()
                digest, size = hash_file(file.abs, hashing.add_bytes)
                if size != st.st_size:
                    raise CairnError(
                        0, FILE_CHANGED, f"{file.abs} changed while it was being hashed; push again"
                    )
                if cache:
                    cache.record(file.abs, st, digest, started)
            else:
                hashing.add_bytes(st.st_size)
            hashing.add_item()
            return digest, st.st_size

        try:
            return map_limit(files, HASH_PARALLEL, one, cancel)
        finally:
            hashing.finish()
            if cache:
                cache.save()

    def run(
        self,
        name: str,
        *,
        kind: str = "model",
        inputs: Iterable[InputSpec] = (),
        params: Mapping[str, Any] | None = None,
        tags: Iterable[str] = (),
        labels: Mapping[str, str] | None = None,
        code: CodeSpec = "auto",
        code_path: str | None = "auto",
        lockfiles: LockfileSpec = "auto",
        image: str | None = None,
    ) -> Run:
        """A training run that publishes a version of `name` when its ``with`` block succeeds.

        On entering: the inputs are resolved (an unknown ref fails before any training) and
        pinned to the versions they name now; the git commit and the lockfiles are recorded
        (`code_path="auto"`: the running script, relative to the git top level). In the block:
        ``run.log_metric(…)``, ``run.log_param(…)``, ``run.add_file(…)``. On leaving without
        an exception, the files are pushed and the version published (``run.published``); on
        an exception nothing is published.
        """
        from .run import Run

        return Run(
            self,
            name,
            kind=kind,
            inputs=inputs,
            params=params,
            tags=tags,
            labels=labels,
            code=code,
            code_path=code_path,
            lockfiles=lockfiles,
            image=image,
        )

    # Reading

    def resolve(self, ref: str) -> Resolved:
        """Which version a ref names now: ``{"ref", "artifact", "version", "digest", "manifestUrl"}``."""
        return cast(Resolved, self._http.json("GET", f"/v1/resolve/{ref_path(normalize_ref(ref))}")[1])

    def manifest(self, ref: str) -> dict[str, Any]:
        """The manifest of a version (ref or ``sha256:…`` digest), checked against its digest."""
        digest = ref if DIGEST_RE.match(ref) else self.resolve(ref)["digest"]
        data = self._http.send("GET", f"/v1/manifests/{digest}").read()
        got = sha256_bytes(data)
        if got != digest:
            raise mismatch(f"manifest {digest}", digest, len(data), got, len(data))
        return cast("dict[str, Any]", json.loads(data.decode("utf-8")))

    def show(self, ref: str) -> Answer:
        """One version: manifest, tags, metrics (merged, with history), labels, created at and by."""
        resolved = self.resolve(ref)
        path = f"/v1/artifacts/{artifact_path(resolved['artifact'])}/versions/{resolved['digest']}"
        return cast(Answer, self._http.json("GET", path)[1])

    def versions(self, name: str, *, limit: int | None = None) -> Iterator[VersionSummary]:
        """The versions of `name`, newest first, fetched page by page as you iterate."""
        path = f"/v1/artifacts/{artifact_path(artifact_name(name))}/versions"
        return self._pages(path, limit)

    def tag_history(self, name: str, tag: str, *, limit: int | None = None) -> Iterator[Answer]:
        """Every move of a tag, newest first: ``{"from", "to", "at", "by", "reason"}``."""
        path = f"/v1/artifacts/{artifact_path(artifact_name(name))}/tags/{tag}/history"
        return self._pages(path, limit)

    def _pages(self, path: str, limit: int | None) -> Iterator[Any]:
        cursor: str | None = None
        left = limit
        while left is None or left > 0:
            size = 500 if left is None else min(left, 500)
            page = self._http.json("GET", path, query={"limit": size, "cursor": cursor})[1]
            yield from page["items"]
            if left is not None:
                left -= len(page["items"])
            cursor = page.get("nextCursor")
            if not cursor:
                return

    def tags(self, name: str) -> dict[str, str]:
        """The tags of `name` and the digests they point to."""
        return cast(
            "dict[str, str]",
            self._http.json("GET", f"/v1/artifacts/{artifact_path(artifact_name(name))}/tags")[1],
        )

    def pull(self, ref: str, dest: str | os.PathLike[str] = ".") -> Pulled:
        """Downloads every file of a version into `dest`, verified while it streams.

        Each file is written to a temp file and renamed into place only when its SHA-256 and
        size match the manifest; files already present with the right digest are skipped (so
        an interrupted pull just runs again); a path that would land outside `dest` (through
        ``..``, an absolute path or a symlinked directory) is refused before anything is written.
        """
        resolved = self.resolve(ref)
        manifest = self.manifest(resolved["digest"])
        root = os.path.abspath(os.fspath(dest))
        plan = [(f, safe_join(root, f["path"])) for f in manifest["files"]]
        os.makedirs(root, exist_ok=True)
        progress = self._progress("pull", sum(f["size"] for f in manifest["files"]), len(plan))
        ready: dict[str, bool] = {}
        lock = threading.Lock()
        counts = {"downloaded": 0, "skipped": 0, "bytes": 0}
        cancel = threading.Event()

        def prepare(parent: str, path: str) -> None:
            with lock:
                if parent in ready:
                    return
                os.makedirs(parent, exist_ok=True)
                assert_real_parent_inside(root, parent, path)
                ready[parent] = True

        def received(n: int) -> None:
            if cancel.is_set():  # Ctrl-C: stop this download too (its temp file is removed)
                raise CairnError(0, INTERRUPTED, "interrupted")
            progress.add_bytes(n)

        def one(entry: tuple[Mapping[str, Any], str]) -> None:
            file, target = entry
            received(0)
            prepare(os.path.dirname(target), file["path"])
            if _present(target, file["digest"], file["size"]):
                key = "skipped"
                progress.add_bytes(file["size"])
            else:
                res = self._http.send("GET", f"/v1/blobs/{file['digest']}")
                download_to(res, target, file["digest"], file["size"], received)
                key = "downloaded"
            with lock:
                counts[key] += 1
                if key == "downloaded":
                    counts["bytes"] += file["size"]
            progress.add_item()

        try:
            map_limit(plan, self.parallel, one, cancel)
        finally:
            progress.finish()
        return Pulled(
            artifact=resolved["artifact"],
            version=resolved["version"],
            digest=resolved["digest"],
            dest=root,
            files=len(plan),
            **counts,
        )

    def open(self, ref: str, path: str) -> io.BufferedReader:
        """One file of a version as a binary file object that streams from the registry.

        The bytes are hashed as they are read: reading to the end raises CairnError
        (``VERIFY_FAILED``) if they are not what the version's manifest says. Use it in a
        ``with`` block (or close it) to free the connection.
        """
        manifest = self.manifest(ref)
        match = next((f for f in manifest["files"] if f["path"] == path), None)
        if match is None:
            raise CairnError(404, "NOT_FOUND", f"{ref} has no file {path}", {"path": path})
        res = self._http.send("GET", f"/v1/blobs/{match['digest']}")
        raw = VerifiedReader(res, match["digest"], match["size"], f"{ref}/{path}")
        return io.BufferedReader(raw, buffer_size=READ_CHUNK)

    def verify(self, ref: str) -> Verified:
        """Re-hashes a version (ref, ``sha256:…`` digest or manifest URL): its manifest and every
        file and lockfile it names. Raises CairnError ``VERIFY_FAILED`` listing what does not match."""
        target = ref.rsplit("/v1/manifests/", 1)[-1]
        digest = target if DIGEST_RE.match(target) else self.resolve(target)["digest"]
        manifest = self.manifest(digest)
        blobs = [(f["path"], f["digest"], f["size"]) for f in manifest["files"]]
        blobs += [
            (f"lockfile {lf['path']}", lf["digest"], -1)
            for lf in manifest.get("environment", {}).get("lockfiles", [])
        ]
        total = sum(f["size"] for f in manifest["files"])
        progress = self._progress("verify", total, len(blobs))
        failures: list[dict[str, str]] = []
        lock = threading.Lock()

        def one(blob: tuple[str, str, int]) -> None:
            path, blob_digest, size = blob
            try:
                res = self._http.send("GET", f"/v1/blobs/{blob_digest}")
                # Lockfiles carry no size in the manifest: the stored size is the one to check.
                expected = size if size >= 0 else int(res.header("content-length") or 0)
                with VerifiedReader(res, blob_digest, expected, path) as reader:
                    while True:
                        chunk = reader.read(READ_CHUNK)
                        if not chunk:
                            break
                        progress.add_bytes(len(chunk))
            except CairnError as err:
                if err.code != VERIFY_FAILED and err.status != 404:
                    raise
                with lock:
                    failures.append(
                        {
                            "path": path,
                            "problem": err.message if err.status != 404 else f"{blob_digest} is not stored",
                        }
                    )
            progress.add_item()

        try:
            map_limit(blobs, self.parallel, one)
        finally:
            progress.finish()
        if failures:
            raise CairnError(
                0,
                VERIFY_FAILED,
                f"{len(failures)} of {len(blobs) + 1} check(s) failed",
                {"failures": failures},
            )
        return Verified(digest=digest, files=len(manifest["files"]), bytes=total, checked=len(blobs))

    # Tags

    def tag(self, ref: str, *tags: str, reason: str | None = None) -> list[TagMove]:
        """Points tags at the version `ref` names (unconditionally; see promote)."""
        resolved = self.resolve(ref)
        return [self._move(resolved, t, None, reason, conditional=False) for t in tags]

    def untag(self, name: str, *tags: str, reason: str | None = None) -> None:
        """Removes tags (recorded in their history)."""
        for t in tags:
            path = f"/v1/artifacts/{artifact_path(artifact_name(name))}/tags/{t}"
            self._http.send("DELETE", path, query={"reason": reason}).read()

    def promote(
        self, ref: str, to: str, *, expect: str | None = CURRENT, reason: str | None = None
    ) -> TagMove:
        """Moves tag `to` (e.g. ``production``) to the version `ref` names, by compare-and-swap.

        `expect` is where the tag must point for the move to happen: ``CURRENT`` (the default)
        reads it now, so a move by someone else in between is never overwritten; None: the tag
        must not exist yet; a ``sha256:…`` digest. When it points elsewhere the registry refuses
        with CairnError ``TAG_CONFLICT`` (status 409, ``details["current"]``) and nothing changes.
        """
        resolved = self.resolve(ref)
        if expect == CURRENT:
            expect = self.tags(resolved["artifact"]).get(to)
            if expect == resolved["digest"]:
                return {
                    "tag": to,
                    "digest": expect,
                    "previous": expect,
                    "artifact": resolved["artifact"],
                    "version": resolved["version"],
                    "unchanged": True,
                }
        return self._move(resolved, to, expect, reason, conditional=True)

    def _move(
        self, resolved: Resolved, tag: str, expect: str | None, reason: str | None, conditional: bool
    ) -> TagMove:
        body: dict[str, Any] = {"digest": resolved["digest"]}
        if conditional:
            body["expect"] = expect
        if reason:
            body["reason"] = reason
        path = f"/v1/artifacts/{artifact_path(resolved['artifact'])}/tags/{tag}"
        move: TagMove = self._http.json("PUT", path, json_body=body)[1]
        move["artifact"], move["version"], move["unchanged"] = (
            resolved["artifact"],
            resolved["version"],
            False,
        )
        return move

    # Lineage and diff

    def diff(self, a: str, b: str) -> Answer:
        """Two versions compared pillar by pillar: ``changed`` names the pillars (code, data,
        environment, params) that differ; ``files`` and ``metrics`` beside them."""
        return cast(
            Answer,
            self._http.json("GET", "/v1/diff", query={"from": normalize_ref(a), "to": normalize_ref(b)})[1],
        )

    def explain(self, ref: str) -> Answer:
        """Why a tag (``ns/name:tag``) changed things: the diff of its last move, plus ``move``."""
        name, tag = split_tag_ref(normalize_ref(ref))
        if tag is None:
            raise usage("explain takes a tag ref, ns/name:tag (e.g. acme/churn-model:production)")
        return cast(
            Answer, self._http.json("GET", f"/v1/artifacts/{artifact_path(name)}/tags/{tag}/explain")[1]
        )

    def lineage(
        self, ref: str, *, direction: str = "up", depth: int | None = None, format: str = "json"
    ) -> Any:
        """What a version was built from (`direction` "up"), what was built from it ("down"), or
        both, `depth` levels (≤ 50). `format` "json" gives the graph as a dict; "mermaid" or
        "dot" give text."""
        res = self._http.send(
            "GET",
            f"/v1/lineage/{ref_path(normalize_ref(ref))}",
            query={"direction": direction, "depth": depth, "format": None if format == "json" else format},
        )
        return res.json() if format == "json" else res.read().decode("utf-8")

    def impact(self, ref: str) -> Answer:
        """The versions a protected tag (production) points to now that are built on `ref`."""
        return cast(Answer, self._http.json("GET", f"/v1/impact/{ref_path(normalize_ref(ref))}")[1])

    def add_metrics(self, ref: str, metrics: Mapping[str, float]) -> Answer:
        """Appends metrics to a version (an annotation: the history is kept)."""
        resolved = self.resolve(ref)
        path = f"/v1/artifacts/{artifact_path(resolved['artifact'])}/versions/{resolved['digest']}/metrics"
        return cast(
            Answer, self._http.json("POST", path, json_body={"metrics": dict(metrics)}, retry=False)[1]
        )


def _present(target: str, digest: str, size: int) -> bool:
    """Already there with the right bytes? (size first: a cheap way to skip the hashing)"""
    try:
        if os.path.getsize(target) != size or not os.path.isfile(target):
            return False
    except OSError:
        return False
    return hash_file(target)[0] == digest
