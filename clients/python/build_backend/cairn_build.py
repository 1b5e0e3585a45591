"""A PEP 517 build backend in the standard library alone, for this one pure-Python package.

Why not setuptools: pip builds a package in an isolated environment into which it installs the
backend from a package index, which a training machine may not reach, and Python 3.12+ virtual
environments have no setuptools to fall back on. This backend needs nothing (`requires = []`),
so `pip install ./clients/python` works offline anywhere pip does. It reads name, version,
description and requires-python from pyproject.toml's [project] table and packages `cairn/`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile
from typing import Any

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "cairn"
TAG = "py3-none-any"


def _project() -> dict[str, str]:
    """The string fields of [project] (a tiny reader: tomllib is only in Python >= 3.11)."""
    with open(os.path.join(HERE, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    section = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    fields = re.findall(r'^([A-Za-z-]+)\s*=\s*"([^"]*)"\s*$', section.group(1) if section else "", re.M)
    return dict(fields)


def _names() -> tuple[str, str, str]:
    project = _project()
    dist = re.sub(r"[-_.]+", "_", project["name"]).lower()
    return project["name"], dist, project["version"]


def _metadata() -> str:
    project = _project()
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project.get('description', '')}",
        f"Requires-Python: {project.get('requires-python', '>=3')}",
    ]
    readme = os.path.join(HERE, project.get("readme", "README.md"))
    body = ""
    if os.path.exists(readme):
        lines.append("Description-Content-Type: text/markdown")
        with open(readme, encoding="utf-8") as f:
            body = f.read()
    return "\n".join(lines) + "\n\n" + body


def _sources() -> list[str]:
    """Files of the package, relative to HERE, sorted (no caches)."""
    out = []
    for root, dirs, files in os.walk(os.path.join(HERE, PACKAGE)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".typed")):
                out.append(os.path.relpath(os.path.join(root, name), HERE))
    return out


def _write_wheel(directory: str, files: dict[str, bytes]) -> str:
    _, dist, version = _names()
    info = f"{dist}-{version}.dist-info"
    files = dict(files)
    files[f"{info}/METADATA"] = _metadata().encode()
    files[f"{info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: cairn_build\nRoot-Is-Purelib: true\nTag: {TAG}\n"
    ).encode()
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    name = f"{dist}-{version}-{TAG}.whl"
    with zipfile.ZipFile(os.path.join(directory, name), "w", zipfile.ZIP_DEFLATED) as whl:
        for path, data in files.items():
            whl.writestr(path, data)
    return name


def _read(rel: str) -> bytes:
    with open(os.path.join(HERE, rel), "rb") as f:
        return f.read()


# PEP 517 hooks


def get_requires_for_build_wheel(config_settings: Any = None) -> list[str]:
    return []


def get_requires_for_build_sdist(config_settings: Any = None) -> list[str]:
    return []


def get_requires_for_build_editable(config_settings: Any = None) -> list[str]:
    return []


def build_wheel(wheel_directory: str, config_settings: Any = None, metadata_directory: Any = None) -> str:
    return _write_wheel(wheel_directory, {rel.replace(os.sep, "/"): _read(rel) for rel in _sources()})


def build_editable(wheel_directory: str, config_settings: Any = None, metadata_directory: Any = None) -> str:
    """PEP 660 (`pip install -e`): a .pth file that puts this directory on sys.path."""
    _, dist, _ = _names()
    return _write_wheel(wheel_directory, {f"{dist}.pth": (HERE + "\n").encode()})


def build_sdist(sdist_directory: str, config_settings: Any = None) -> str:
    _, dist, version = _names()
    base = f"{dist}-{version}"
    rels = ["pyproject.toml", "README.md", os.path.join("build_backend", "cairn_build.py"), *_sources()]
    name = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for rel in rels:
            if os.path.exists(os.path.join(HERE, rel)):
                tar.add(os.path.join(HERE, rel), arcname=f"{base}/{rel}")
        pkg_info = _metadata().encode()
        entry = tarfile.TarInfo(f"{base}/PKG-INFO")
        entry.size = len(pkg_info)
        tar.addfile(entry, io.BytesIO(pkg_info))
    return name
