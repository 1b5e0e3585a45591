"""The README's install command, verbatim, in a fresh virtual environment with no package index:
pip builds the package with its own standard-library backend (no setuptools, no network)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unittest
import venv

from support import ROOT, Scratch


def readme_block(first_line: str) -> str:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        blocks = re.findall(r"^```sh\n(.*?)\n```$", f.read(), re.M | re.S)
    found = [b for b in blocks if b.startswith(first_line)]
    if len(found) != 1:
        raise AssertionError(f"README.md should have exactly one sh block starting with {first_line!r}")
    return found[0] + "\n"


def has_ensurepip() -> bool:
    try:
        import ensurepip  # noqa: F401
    except ImportError:
        return False
    return True


@unittest.skipUnless(
    has_ensurepip(), "this Python cannot create a venv with pip (Debian: apt-get install python3-venv)"
)
class Install(unittest.TestCase):
    def test_pip_installs_the_package_offline_from_the_repository_path(self) -> None:
        scratch = Scratch(self)
        env_dir = scratch.join("venv")
        venv.EnvBuilder(with_pip=True).create(env_dir)
        bin_dir = os.path.join(env_dir, "Scripts" if os.name == "nt" else "bin")
        python = os.path.join(bin_dir, "python")
        # setuptools must not be what makes it work (Python 3.12+ venvs have none).
        subprocess.run([python, "-m", "pip", "uninstall", "-q", "-y", "setuptools"], capture_output=True)
        env = {
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
            "HOME": scratch.path,
            "PIP_NO_INDEX": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
        script = readme_block("python3 -m pip install")
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
        )
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)

        check = "import cairn, sys; print(cairn.__version__, cairn.__file__)"
        done = subprocess.run(
            [python, "-c", check], cwd=scratch.path, env=env, capture_output=True, text=True
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        version, location = done.stdout.split()
        self.assertEqual(version, "0.1.0")
        self.assertTrue(location.startswith(env_dir), f"imported from {location}, not the venv")
        done = subprocess.run(
            [python, "-m", "cairn", "--help"], cwd=scratch.path, env=env, capture_output=True, text=True
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("push", done.stdout)
        self.assertNotEqual(sys.prefix, env_dir)


if __name__ == "__main__":
    unittest.main()
