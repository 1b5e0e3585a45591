"""The package stays installable anywhere a training job runs: Python 3.9 syntax, and imports
from the standard library (and itself) only."""

from __future__ import annotations

import ast
import os
import sys
import unittest

from support import CLIENT_DIR

PACKAGE = os.path.join(CLIENT_DIR, "cairn")
SOURCES = sorted(
    os.path.join(d, f) for d, _, names in os.walk(PACKAGE) for f in names if f.endswith(".py")
) + [os.path.join(CLIENT_DIR, "build_backend", "cairn_build.py")]


class Compat(unittest.TestCase):
    def test_python_3_9_syntax(self) -> None:
        for path in SOURCES:
            with open(path, encoding="utf-8") as f:
                source = f.read()
            with self.subTest(path=os.path.relpath(path, CLIENT_DIR)):
                tree = ast.parse(source, path, feature_version=(3, 9))
                # `str | None` annotations are fine on 3.9 only when they are never evaluated.
                if any(isinstance(n, (ast.AnnAssign, ast.arg)) and n.annotation for n in ast.walk(tree)):
                    self.assertIn("from __future__ import annotations", source)

    @unittest.skipUnless(
        hasattr(sys, "stdlib_module_names"), "needs Python >= 3.10 to list the standard library"
    )
    def test_standard_library_only(self) -> None:
        allowed = set(sys.stdlib_module_names) | {"cairn", "__future__"}
        for path in SOURCES:
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read(), path)
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    self.assertIn(name.split(".")[0], allowed, f"{path} imports {name}")


if __name__ == "__main__":
    unittest.main()
