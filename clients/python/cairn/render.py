"""The text `python -m cairn` prints for people (the same lines as the Node CLI's); --json prints
the answers themselves instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .progress import format_bytes

_MAX_LINES = 10
_SHOWN_FILES = 20


def short(digest: str | None) -> str:
    return digest[:19] if digest else "(none)"


def _value(v: Any) -> str:
    return json.dumps(v) if v is not None else "(none)"


def version_line(v: Mapping[str, Any]) -> str:
    tags = f"  [{', '.join(v['tags'])}]" if v["tags"] else ""
    return (
        f"@{v['version']}  {short(v['digest'])}  {v['createdAt']}  {v['createdBy']}  "
        f"{v['fileCount']} file(s), {format_bytes(v['size'])}{tags}"
    )


def event_line(e: Mapping[str, Any]) -> str:
    reason = f'  "{e["reason"]}"' if e.get("reason") else ""
    return f"{e['at']}  {short(e['from'])} → {short(e['to'])}  {e['by']}{reason}"


def show(v: Mapping[str, Any]) -> str:
    m = v["manifest"]
    lines = [
        f"{v['artifact']}@{v['version']}  ({v['kind']})",
        f"digest:    {v['digest']}",
        f"manifest:  {v['manifestUrl']}",
        f"created:   {v['createdAt']} by {v['createdBy']}",
    ]
    if v["tags"]:
        lines.append(f"tags:      {', '.join(v['tags'])}")
    lines.append(f"files:     {v['fileCount']} ({format_bytes(v['size'])})")
    lines += [
        f"  {f['path']}  {format_bytes(f['size'])}  {short(f['digest'])}" for f in m["files"][:_SHOWN_FILES]
    ]
    if len(m["files"]) > _SHOWN_FILES:
        lines.append(f"  … and {len(m['files']) - _SHOWN_FILES} more (--json lists all)")
    if m["inputs"]:
        lines.append("inputs:")
        lines += [f"  {i['role']}: {i['ref']}  {short(i['digest'])}" for i in m["inputs"]]
    code = m.get("code")
    if code:
        where = "  ".join(str(code[k]) for k in ("repo", "commit", "path") if code.get(k))
        lines.append(f"code:      {where}{'  (dirty)' if code.get('dirty') else ''}")
    env = m.get("environment") or {}
    if env.get("lockfiles"):
        lines.append(f"lockfiles: {', '.join(lf['path'] for lf in env['lockfiles'])}")
    if env.get("image"):
        lines.append(f"image:     {env['image']}")
    if env.get("runtime"):
        lines.append(f"runtime:   {json.dumps(env['runtime'])}")
    if m.get("params"):
        lines.append(f"params:    {json.dumps(m['params'])}")
    if v["metrics"]:
        lines.append(f"metrics:   {json.dumps(v['metrics'])}")
    return "\n".join(lines)


def _files_line(files: Mapping[str, Any]) -> str:
    c = files["counts"]
    return f"{c['added']} added, {c['removed']} removed, {c['modified']} modified, {c['unchanged']} unchanged"


def _file_list(files: Mapping[str, Any], indent: str) -> list[str]:
    rows = (
        [f"+ {f['path']}" for f in files["added"]]
        + [f"- {f['path']}" for f in files["removed"]]
        + [f"~ {f['path']}" for f in files["modified"]]
    )
    out = [indent + r for r in rows[:_MAX_LINES]]
    if len(rows) > _MAX_LINES or files.get("truncated"):
        out.append(f"{indent}… (--json for the full list)")
    return out


def _side(s: Mapping[str, Any] | None) -> str:
    return f"{s['ref']} {short(s['digest'])}" if s else "(none)"


def _version(v: Mapping[str, Any] | None) -> str:
    return f"{v['artifact']}@{v['version']}" if v else "(nothing)"


def _data_lines(data: Mapping[str, Any], indent: str) -> list[str]:
    out: list[str] = []
    for i in data["inputs"]:
        if i["status"] == "unchanged":
            continue
        out.append(
            f"{indent}{i['role']} ({i.get('artifact') or 'unknown'}): {i['status']}, "
            f"{_side(i['from'])} → {_side(i['to'])}"
        )
        if i.get("files"):
            out.append(f"{indent}  files: {_files_line(i['files'])}")
            out += _file_list(i["files"], indent + "    ")
        if (i.get("upstream") or {}).get("changed"):
            out.append(f"{indent}  upstream:")
            out += _data_lines(i["upstream"], indent + "    ")
    return out


def _value_lines(diff: Mapping[str, Any], indent: str) -> list[str]:
    return (
        [f"{indent}+ {c['key']} = {_value(c['to'])}" for c in diff["added"]]
        + [f"{indent}- {c['key']} (was {_value(c['from'])})" for c in diff["removed"]]
        + [f"{indent}~ {c['key']}: {_value(c['from'])} → {_value(c['to'])}" for c in diff["modified"]]
    )


def diff(d: Mapping[str, Any]) -> str:
    """A diff (or an explanation) pillar by pillar: what changed, then the detail of each."""
    out = [f"{_version(d.get('from'))} → {_version(d.get('to'))}"]
    move = d.get("move")
    if move:
        out.append(
            f"moved {move['at']} by {move['by']}"
            + (f": {json.dumps(move['reason'])}" if move.get("reason") else "")
        )
    out.append(f"changed: {', '.join(d['changed']) or 'nothing (same code, data, environment and params)'}")
    code = d["code"]
    if code["changed"]:
        out.append("code:")
        out += [
            f"  {f}: {_value((code.get('from') or {}).get(f))} → {_value((code.get('to') or {}).get(f))}"
            for f in code["fields"]
        ]
    if d["data"]["changed"]:
        out += ["data:", *_data_lines(d["data"], "  ")]
    env = d["environment"]
    if env["changed"]:
        out.append("environment:")
        for lock in env["lockfiles"]:
            if lock["status"] == "unchanged":
                continue
            out.append(f"  {lock['path']}: {lock['status']}")
            packages = lock.get("packages") or []
            for p in packages[:_MAX_LINES]:
                mark = {"added": "+", "removed": "-"}.get(p["change"], "~")
                arrow = " → " if p["change"] == "changed" else ""
                out.append(f"    {mark} {p['name']} {p.get('from') or ''}{arrow}{p.get('to') or ''}".rstrip())
            if len(packages) > _MAX_LINES:
                out.append("    …")
            if lock.get("lines"):
                out.append(
                    f"    {len(lock['lines']['added'])} line(s) added, "
                    f"{len(lock['lines']['removed'])} removed"
                )
        if env["image"]["changed"]:
            out.append(f"  image: {env['image']['from'] or '(none)'} → {env['image']['to'] or '(none)'}")
        out += _value_lines(env["runtime"], "  runtime ")
    if d["params"]["changed"]:
        out += ["params:", *_value_lines(d["params"], "  ")]
    if d["files"]["changed"]:
        out += [f"output files: {_files_line(d['files'])}", *_file_list(d["files"], "  ")]
    metrics = [m for m in d["metrics"] if m["from"] != m["to"]]
    if metrics:
        out.append("metrics:")
        for m in metrics:
            delta = (
                "" if m["delta"] is None else " ({}{:.6g})".format("+" if m["delta"] >= 0 else "", m["delta"])
            )
            out.append(f"  {m['key']}: {_value(m['from'])} → {_value(m['to'])}{delta}")
    return "\n".join(out)


def lineage(graph: Mapping[str, Any]) -> str:
    """One line per version, indented by its depth, with the roles of the edges that reach it."""
    roles: dict[str, list[str]] = {}
    for e in graph["edges"]:
        key = e["to"] if graph["direction"] == "down" else e["from"]
        if e["role"] not in roles.setdefault(key, []):
            roles[key].append(e["role"])
    lines = []
    for n in sorted(graph["nodes"], key=lambda n: (n["depth"], n["artifact"], n["version"])):
        role = f" ({', '.join(roles[n['digest']])})" if n["depth"] > 0 and n["digest"] in roles else ""
        tags = f"  [{', '.join(n['tags'])}]" if n["tags"] else ""
        lines.append(
            f"{'  ' * n['depth']}{n['artifact']}@{n['version']}  {n['kind']}{role}{tags}  "
            f"{short(n['digest'])}"
        )
    if graph.get("truncated"):
        lines.append("… truncated (the closest versions are shown)")
    if graph.get("hidden"):
        lines.append(f"{graph['hidden']} version(s) hidden: outside your token's namespaces")
    return "\n".join(lines)
