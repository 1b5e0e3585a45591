"""`python -m cairn <command>`: the main commands of the `cairn` CLI, with its options, output and
exit codes (0 ok, 1 error, 2 usage, 3 auth, 4 not found, 5 conflict, 6 verification failed,
7 network error or interrupted: run the same command again to resume).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import signal
import sys
from collections.abc import Sequence
from typing import Any, Callable, NoReturn

from . import errors, render
from .client import Registry
from .errors import CairnError, usage
from .progress import format_bytes
from .refs import normalize_ref, split_tag_ref
from .version import __version__

OK, ERROR, USAGE, AUTH, NOT_FOUND, CONFLICT, VERIFY_FAILED, NETWORK = range(8)
_VERIFY_CODES = (
    "DIGEST_MISMATCH",
    "SIZE_MISMATCH",
    errors.VERIFY_FAILED,
    errors.PATH_UNSAFE,
    errors.FILE_CHANGED,
)


def exit_code(err: CairnError) -> tuple[int, str | None]:
    """The exit code for an error, and a hint for the usual causes."""
    if err.code == errors.USAGE:
        return USAGE, None
    if err.code == errors.INTERRUPTED:
        return (
            NETWORK,
            "run the same command again to resume: stored blobs are skipped and an unfinished "
            "multipart upload continues from its last part",
        )
    if err.is_network:
        return (
            NETWORK,
            "is the registry running there? (set CAIRN_URL or --url) Rerunning resumes any transfer.",
        )
    if err.status == 401:
        return AUTH, "the token was refused: check CAIRN_TOKEN (or run `cairn login` with a valid one)"
    if err.status == 403:
        return AUTH, "this needs a token with more scope (or one allowed in this namespace)"
    if err.code == "TAG_UNKNOWN" and str(err.details.get("ref", "")).endswith(":latest"):
        return (
            NOT_FOUND,
            "a bare ns/name means ns/name:latest, which only a push with --tag latest moves; "
            "name a version (ns/name@<n>)",
        )
    if err.status == 404 or err.code == "REF_UNKNOWN":
        return NOT_FOUND, "check the name, tag or version: `python -m cairn log <ns/name>` lists versions"
    if err.status == 409:
        return CONFLICT, None
    if err.code in _VERIFY_CODES:
        return VERIFY_FAILED, None
    return ERROR, None


def _scalar(text: str) -> Any:
    """`6` → 6, `true` → True, `[1,2]` → [1, 2], `adam` → "adam" (as the Node CLI reads --param)."""
    if re.match(r"^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)$", text) or text[:1] in '[{"':
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def _pairs(raws: Sequence[str], option: str) -> list[tuple[str, str]]:
    out = []
    for raw in raws:
        key, sep, value = raw.partition("=")
        if not sep or not key:
            raise usage(f"--{option} {raw!r}: expected key=value")
        out.append((key, value))
    return out


def _metrics(raws: Sequence[str]) -> dict[str, float]:
    out = {}
    for key, value in _pairs(raws, "metric"):
        try:
            out[key] = _scalar(value) if re.match(r"^-?\d+$", value) else float(value)
        except ValueError:
            raise usage(f"--metric {key}: {value!r} is not a number") from None
    return out


def _params(args: argparse.Namespace) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if args.params:
        try:
            with open(args.params, encoding="utf-8") as f:
                params = json.load(f)
        except (OSError, ValueError) as err:
            raise usage(f"--params {args.params}: {err}") from None
        if not isinstance(params, dict):
            raise usage(f"--params {args.params}: expected a JSON object of key: value")
    params.update((k, _scalar(v)) for k, v in _pairs(args.param, "param"))
    return params


def _jsonable(value: Any) -> Any:
    """Results as the Node CLI prints them with --json (camelCase keys)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {re.sub(r"_([a-z])", lambda m: m.group(1).upper(), k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


class Command:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    def registry(self) -> Registry:
        parallel = getattr(self.args, "parallel", 8)
        return Registry(self.args.url, progress=False if self.args.quiet else None, parallel=parallel)

    def result(self, text: str | Callable[[], str], value: Any) -> None:
        if self.args.json:
            print(json.dumps(_jsonable(value), indent=2, ensure_ascii=False))
        else:
            print(text() if callable(text) else text)

    def push(self) -> None:
        a = self.args
        published = self.registry().push(
            a.path,
            a.name,
            kind=a.kind,
            inputs=a.input,
            params=_params(a),
            metrics=_metrics(a.metric),
            tags=a.tag,
            code=a.code,
            code_path=a.code_path,
            lockfiles=a.lockfile,
            image=a.image,
            rehash=a.rehash,
        )
        stats = published.upload
        unchanged = "" if published.created else " (unchanged: this content was already published)"
        self.result(
            f"{published.artifact}@{published.version}{unchanged}\n"
            f"digest:   {published.digest}\n"
            f"manifest: {published.manifest_url}\n"
            f"files:    {published.files} ({format_bytes(published.bytes)}); "
            f"uploaded {stats.uploaded_blobs} blob(s), {format_bytes(stats.uploaded_bytes)}",
            published,
        )

    def pull(self) -> None:
        pulled = self.registry().pull(self.args.ref, self.args.output)
        self.result(
            f"{pulled.artifact}@{pulled.version} → {pulled.dest}\n"
            f"{pulled.downloaded} file(s) downloaded ({format_bytes(pulled.bytes)}), "
            f"{pulled.skipped} already present",
            pulled,
        )

    def tag(self) -> None:
        a = self.args
        if a.delete:
            self.registry().untag(a.target, *a.tags, reason=a.reason)
            self.result(
                f"deleted {', '.join(f'{a.target}:{t}' for t in a.tags)}",
                {"artifact": a.target, "deleted": a.tags},
            )
            return
        moves = self.registry().tag(a.target, *a.tags, reason=a.reason)
        self.result(
            "\n".join(f"{m['artifact']}:{m['tag']} → @{m['version']} {m['digest']}" for m in moves), moves
        )

    def promote(self) -> None:
        a = self.args
        try:
            move = self.registry().promote(a.ref, a.to, reason=a.reason)
        except CairnError as err:
            if err.code == "TAG_CONFLICT":
                now = err.details.get("current") or "somewhere else"
                name = split_tag_ref(normalize_ref(a.ref))[0]
                err.message = f"{name}:{a.to} moved to {now} while you were promoting; nothing was changed"
            raise
        if move.get("unchanged"):
            self.result(f"{move['artifact']}:{a.to} already points to @{move['version']}", move)
        else:
            self.result(
                f"{move['artifact']}:{a.to} → @{move['version']} {move['digest']}\n"
                f"(was {move['previous'] or 'unset'})",
                move,
            )

    def log(self) -> None:
        a = self.args
        if not 1 <= a.limit <= 500:
            raise usage("--limit is 1 to 500")
        registry = self.registry()
        if a.tag:
            events = list(registry.tag_history(a.name, a.tag, limit=a.limit))
            self.result("\n".join(map(render.event_line, events)) or f"{a.name}:{a.tag} never moved", events)
            return
        versions = list(registry.versions(a.name, limit=a.limit))
        self.result("\n".join(map(render.version_line, versions)) or f"{a.name} has no versions", versions)

    def show(self) -> None:
        detail = self.registry().show(self.args.ref)
        self.result(lambda: render.show(detail), detail)

    def diff(self) -> None:
        a = self.args
        if a.b is None:
            if split_tag_ref(normalize_ref(a.a))[1] is None:
                raise usage("with one ref, diff explains a tag: pass ns/name:tag (or two refs)")
            answer = self.registry().explain(a.a)
        else:
            answer = self.registry().diff(a.a, a.b)
        self.result(lambda: render.diff(answer), answer)

    def lineage(self) -> None:
        a = self.args
        registry = self.registry()
        if a.impact:
            impact = registry.impact(a.ref)
            lines = [
                f"{v['artifact']}@{v['version']}  [{', '.join(v['tags'])}]  {render.short(v['digest'])}"
                for v in impact["versions"]
            ]
            nothing = f"nothing under {', '.join(impact['protectedTags'])} is built on {normalize_ref(a.ref)}"
            self.result("\n".join(lines) or nothing, impact)
            return
        direction = "both" if a.both else "down" if a.down else "up"
        if a.depth is not None and not 0 <= a.depth <= 50:
            raise usage("--depth is 0 to 50")
        fmt = a.format or ("json" if a.json else "text")
        if fmt in ("mermaid", "dot"):
            sys.stdout.write(registry.lineage(a.ref, direction=direction, depth=a.depth, format=fmt))
            return
        graph = registry.lineage(a.ref, direction=direction, depth=a.depth)
        if fmt == "json":
            print(json.dumps(graph, indent=2))
        else:
            self.result(lambda: render.lineage(graph), graph)

    def verify(self) -> None:
        report = self.registry().verify(self.args.target)
        self.result(
            f"ok: manifest {report.digest} and {report.checked} blob(s) "
            f"({format_bytes(report.bytes)}) verified",
            report,
        )


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", help="registry URL (else CAIRN_URL, else the config file of `cairn login`)")
    common.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    main = argparse.ArgumentParser(
        prog="python -m cairn",
        description="Push, pull and trace ML datasets and models in a Cairn registry.",
        epilog="Exit codes: 0 ok, 1 error, 2 usage, 3 auth (401/403), 4 not found, 5 conflict, "
        "6 verification failed, 7 network error or interrupted (rerun to resume)",
    )
    main.add_argument("--version", action="version", version=f"cairn (Python) {__version__}")
    sub = main.add_subparsers(dest="command", metavar="<command>")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=summary, description=summary)

    p = command("push", "upload a file or directory (only what is missing) and publish it as a version")
    p.add_argument("path")
    p.add_argument("name", help="ns/name")
    p.add_argument("--kind", default="other", choices=["dataset", "model", "other"])
    p.add_argument(
        "--input", action="append", default=[], metavar="REF[=ROLE]", help="an input version (repeatable)"
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="K=V",
        help="a parameter; numbers, booleans and JSON are typed",
    )
    p.add_argument("--params", metavar="FILE.json", help="parameters from a JSON file (--param wins)")
    p.add_argument("--metric", action="append", default=[], metavar="K=NUMBER")
    p.add_argument(
        "--lockfile",
        action="append",
        default=[],
        metavar="PATH|auto",
        help="an environment lockfile (repeatable)",
    )
    p.add_argument("--image", help="the container image the version was built in")
    p.add_argument("--tag", action="append", default=[], help="move this tag to the new version (repeatable)")
    p.add_argument(
        "--code",
        default="auto",
        choices=["auto", "none"],
        help="record the git remote, commit and dirty state",
    )
    p.add_argument("--code-path", help="the script that produced it, e.g. train.py")
    p.add_argument("--parallel", type=int, default=8, help="uploads in flight (default 8)")
    p.add_argument("--rehash", action="store_true", help="hash every file again, ignoring the cache")

    p = command("pull", "download every file of a version, verified, into a directory")
    p.add_argument("ref")
    p.add_argument("-o", "--output", default=".")
    p.add_argument("--parallel", type=int, default=8)

    p = command("tag", "point tags at a version (or --delete them)")
    p.add_argument("target", help="a ref (or ns/name with --delete)")
    p.add_argument("tags", nargs="+")
    p.add_argument("--delete", action="store_true")
    p.add_argument("--reason")

    p = command("promote", "move a tag to a version, only if nobody moved it meanwhile")
    p.add_argument("ref")
    p.add_argument("--to", required=True, help="the tag, e.g. production")
    p.add_argument("--reason")

    p = command("log", "list versions newest first (or a tag's history with --tag)")
    p.add_argument("name")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--tag")

    p = command("show", "describe one version: files, inputs, code, environment, params, metrics")
    p.add_argument("ref")

    p = command("diff", "what changed between two versions (one tag ref: its last move)")
    p.add_argument("a")
    p.add_argument("b", nargs="?")

    p = command("lineage", "what a version was built from (or, with --down, what was built from it)")
    p.add_argument("ref")
    p.add_argument("--down", action="store_true")
    p.add_argument("--both", action="store_true")
    p.add_argument("--depth", type=int)
    p.add_argument("--format", choices=["text", "json", "mermaid", "dot"])
    p.add_argument(
        "--impact", action="store_true", help="versions a protected tag points to that are built on it"
    )

    p = command("verify", "re-hash a version: its manifest and every file it names")
    p.add_argument("target", help="a ref or a manifest URL")
    return main


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not args.command:
        parser().print_help()
        return USAGE
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        getattr(Command(args), args.command)()
        return OK
    except KeyboardInterrupt:
        err: CairnError = CairnError(0, errors.INTERRUPTED, "interrupted")
    except CairnError as caught:
        err = caught
    except OSError as caught:
        print(f"cairn: {caught}", file=sys.stderr)
        return ERROR
    code, hint = exit_code(err)
    print(f"cairn: {err}", file=sys.stderr)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)
    return code


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `python -m cairn log … | head`
        os._exit(OK)
