"""The README's Python section runs verbatim: its ```python blocks in order, each as a script in
one scratch directory (as a user would paste them into files), then its `python -m cairn` block
with bash, against the test registry."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unittest

from support import CLIENT_DIR, ROOT, TOKEN, URL, Scratch, needs_registry

HEADING = "## Python: `import cairn`"


def section() -> str:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.index(HEADING)
    end = text.find("\n## ", start + len(HEADING))
    return text[start : end if end > 0 else len(text)]


def blocks(language: str) -> list[str]:
    return [b + "\n" for b in re.findall(rf"^```{language}\n(.*?)\n```$", section(), re.M | re.S)]


@needs_registry
class ReadmeRecipes(unittest.TestCase):
    def test_the_python_section_runs_verbatim(self) -> None:
        scratch = Scratch(self)
        work = scratch.join("work")
        bin_dir = scratch.join("bin")  # `python3` in the sh block is the interpreter under test
        os.makedirs(work)
        os.makedirs(bin_dir)
        os.symlink(sys.executable, os.path.join(bin_dir, "python3"))
        env = {
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
            "HOME": scratch.path,
            "PYTHONPATH": CLIENT_DIR,
            "CAIRN_URL": URL,
            "CAIRN_TOKEN": TOKEN,
            "XDG_CACHE_HOME": scratch.join("cache"),
        }
        python = blocks("python")
        self.assertGreaterEqual(len(python), 4)
        for n, block in enumerate(python, 1):
            script = os.path.join(scratch.path, f"recipe_{n}.py")
            with open(script, "w", encoding="utf-8") as f:
                f.write(block)
            done = subprocess.run([sys.executable, script], cwd=work, env=env, capture_output=True, text=True)
            self.assertEqual(
                done.returncode, 0, f"block {n}:\n{block}\n--- stdout ---\n{done.stdout}\n{done.stderr}"
            )
        cli = [b for b in blocks("sh") if b.startswith("python3 -m cairn ")]
        self.assertEqual(len(cli), 1)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", cli[0]], cwd=work, env=env, capture_output=True, text=True
        )
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("ok: manifest", done.stdout)


if __name__ == "__main__":
    unittest.main()
