"""`python -m cairn`: the Node CLI's commands, output and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unittest

from support import CLIENT_DIR, TOKEN, URL, Scratch, fresh_name, needs_registry, tree


@needs_registry
class Cli(unittest.TestCase):
    def setUp(self) -> None:
        self.scratch = Scratch(self)

    def cairn(self, *args: str, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": self.scratch.path,
            "PYTHONPATH": CLIENT_DIR,
            "CAIRN_URL": URL,
            "CAIRN_TOKEN": token,
            "XDG_CACHE_HOME": self.scratch.join("cache"),
        }
        return subprocess.run(
            [sys.executable, "-m", "cairn", *args],
            cwd=self.scratch.path,
            env=env,
            capture_output=True,
            text=True,
        )

    def ok(self, *args: str) -> str:
        done = self.cairn(*args)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout

    def test_push_promote_diff_and_pull(self) -> None:
        data, model = fresh_name("data"), fresh_name("model")
        self.scratch.file("train.csv", b"age,churned\n34,0\n")
        self.scratch.file("requirements.txt", f"scikit-learn==1.3.0\n# {model}\n".encode())
        self.scratch.file("model.pkl", f"v1 {model}".encode())
        self.ok("push", "train.csv", data, "--kind", "dataset", "--tag", "latest")
        push_model = ["push", "model.pkl", model, "--kind", "model", "--input", f"{data}:latest=training"]
        push_model += ["--lockfile", "requirements.txt", "--param", "max_depth=6"]
        first = json.loads(self.ok(*push_model, "--metric", "auc=0.91", "--json"))
        self.assertEqual((first["version"], first["created"], first["upload"]["uploadedBlobs"]), (1, True, 2))
        promoted = self.ok("promote", f"{model}@1", "--to", "production")
        self.assertEqual(promoted.splitlines()[0][-71:], first["digest"])

        self.scratch.file("requirements.txt", f"scikit-learn==1.4.0\n# {model}\n".encode())
        self.scratch.file("model.pkl", b"v2")
        self.ok(*push_model, "--metric", "auc=0.93")
        self.ok("promote", f"{model}@2", "--to", "production", "--reason", "AUC 0.93")
        why = self.ok("diff", f"{model}:production")
        self.assertIn("changed: environment", why)
        self.assertIn("~ scikit-learn 1.3.0 → 1.4.0", why)
        self.assertIn("auc: 0.91 → 0.93 (+0.02)", why)
        self.assertRegex(self.ok("log", model), r"^@2  sha256:[0-9a-f]{12}  .*\[production\]\n@1 ")
        self.assertIn('"AUC 0.93"', self.ok("log", model, "--tag", "production"))
        self.assertIn("lockfiles: requirements.txt", self.ok("show", f"{model}@2"))
        self.assertIn(f"{data}@1", self.ok("lineage", f"{model}@2"))
        self.assertIn(f"{model}@2", self.ok("lineage", f"{data}@1", "--impact"))
        self.assertIn("graph LR", self.ok("lineage", f"{model}@2", "--format", "mermaid"))
        self.assertIn("ok: manifest", self.ok("verify", f"{model}@2"))
        pulled = json.loads(self.ok("pull", f"{data}@1", "-o", "copy", "--json"))
        self.assertEqual(pulled["downloaded"], 1)
        self.assertEqual(tree(self.scratch.join("copy")), {"train.csv": b"age,churned\n34,0\n"})

    def test_exit_codes(self) -> None:
        name = fresh_name("x")
        self.scratch.file("a.txt", b"a")
        self.ok("push", "a.txt", name)
        self.ok("promote", f"{name}@1", "--to", "production")
        cases = [
            (("show", "not a ref"), 2, "is not a ref"),
            (("frobnicate",), 2, "invalid choice"),
            (("show", f"{name}@9"), 4, "hint: check the name"),
            (("show", fresh_name("none")), 4, "hint: a bare ns/name means ns/name:latest"),
        ]
        for args, code, message in cases:
            done = self.cairn(*args)
            self.assertEqual(done.returncode, code, f"{args}: {done.stderr}")
            self.assertIn(message, done.stderr)
        done = self.cairn("show", f"{name}@1", token="cairn_wrong")
        self.assertEqual(done.returncode, 3, done.stderr)
        self.assertRegex(done.stderr, r"401 UNAUTHORIZED, request id [0-9a-f-]{36}")
        env_url = {"CAIRN_URL": "http://127.0.0.1:9"}
        done = subprocess.run(
            [sys.executable, "-m", "cairn", "show", f"{name}@1"],
            env={**os.environ, "PYTHONPATH": CLIENT_DIR, **env_url},
            capture_output=True,
            text=True,
        )
        self.assertEqual(done.returncode, 7, done.stderr)


if __name__ == "__main__":
    unittest.main()
