"""The run context manager: inputs resolved and pinned on entry, the git commit, script and
lockfiles recorded, one version published on success, nothing on an exception."""

from __future__ import annotations

import os
import subprocess
import unittest
from unittest import mock

from support import Scratch, fresh_name, needs_registry, registry

# isort: split
from cairn import CairnError


def git(cwd: str, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


@needs_registry
class RunContext(unittest.TestCase):
    def setUp(self) -> None:
        self.scratch = Scratch(self)
        env = {"XDG_CACHE_HOME": self.scratch.join("cache")}
        patcher = mock.patch.dict(os.environ, env)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.reg = registry()
        self.addCleanup(self.reg.close)
        # A project: a git repository with a lockfile, the script run from its top level.
        self.repo = self.scratch.join("project")
        os.makedirs(self.repo)
        self.scratch.file("project/requirements.txt", b"numpy==1.26.4\nscikit-learn==1.3.0\n")
        self.scratch.file("project/train.py", b"print('train')\n")
        git(self.repo, "init", "-q")
        git(self.repo, "remote", "add", "origin", "https://user:secret@git.example/acme/churn.git")
        git(self.repo, "add", ".")
        git(self.repo, "commit", "-qm", "first")
        self.commit = git(self.repo, "rev-parse", "HEAD")
        cwd = os.getcwd()
        os.chdir(self.repo)
        self.addCleanup(os.chdir, cwd)
        self.data = fresh_name("data")
        self.model = fresh_name("model")
        self.reg.push(
            self.scratch.file("train.csv", b"a,b\n1,0\n"), self.data, kind="dataset", tags=["latest"]
        )

    def test_a_successful_block_publishes_one_version_with_its_provenance(self) -> None:
        with self.reg.run(
            self.model, inputs=[f"{self.data}:latest=training"], params={"max_depth": 6}
        ) as run:
            # The tag moves during the training: the version records what the run started with.
            self.reg.push(
                self.scratch.file("train.csv", b"a,b\n1,0\n2,1\n"), self.data, kind="dataset", tags=["latest"]
            )
            with open("model.pkl", "wb") as f:
                f.write(b"weights")
            run.log_metric("auc", 0.91)
            run.log_param("seed", 7)
            run.add_file("model.pkl")
        published = run.published
        assert published is not None
        self.assertEqual((published.artifact, published.version, published.files), (self.model, 1, 1))

        detail = self.reg.show(published.ref)
        manifest = detail["manifest"]
        self.assertEqual(detail["kind"], "model")
        self.assertEqual(detail["metrics"], {"auc": 0.91})
        self.assertEqual(manifest["params"], {"max_depth": 6, "seed": 7})
        self.assertEqual(manifest["inputs"][0]["ref"], f"{self.data}@1")
        self.assertEqual(manifest["inputs"][0]["role"], "training")
        self.assertEqual(manifest["inputs"][0]["digest"], run.resolved[0]["digest"])
        self.assertEqual(
            manifest["code"],
            {"repo": "https://git.example/acme/churn.git", "commit": self.commit, "dirty": False},
        )
        self.assertEqual([lf["path"] for lf in manifest["environment"]["lockfiles"]], ["requirements.txt"])

    def test_an_exception_publishes_nothing(self) -> None:
        with self.assertRaises(ZeroDivisionError):
            with self.reg.run(self.model, inputs=[self.data]) as run:
                self.scratch.file("project/model.pkl", b"half-trained")
                run.add_file("model.pkl")
                run.log_metric("loss", 1 / 0)
        self.assertIsNone(run.published)
        with self.assertRaises(CairnError) as caught:
            list(self.reg.versions(self.model))
        self.assertEqual(caught.exception.code, "ARTIFACT_UNKNOWN")

    def test_an_unknown_input_fails_before_the_block_runs(self) -> None:
        ran = []
        with self.assertRaises(CairnError) as caught:
            with self.reg.run(self.model, inputs=[fresh_name("nope")]):
                ran.append(True)
        self.assertEqual(caught.exception.status, 404)
        self.assertEqual(ran, [])

    def test_directories_and_names(self) -> None:
        self.scratch.file("project/out/a.bin", b"a")
        self.scratch.file("project/out/sub/b.bin", b"b")
        self.scratch.file("project/metrics.json", b"{}")
        with self.reg.run(self.model, code="none", lockfiles=None, code_path=None) as run:
            run.add_file("out", "model")
            run.add_file("metrics.json", "eval/metrics.json")
            with self.assertRaises(CairnError):
                run.add_file("metrics.json", "eval/metrics.json")
        manifest = self.reg.manifest(run.published.ref if run.published else "")
        self.assertEqual(
            [f["path"] for f in manifest["files"]], ["eval/metrics.json", "model/a.bin", "model/sub/b.bin"]
        )
        self.assertNotIn("code", manifest)
        self.assertNotIn("environment", manifest)


if __name__ == "__main__":
    unittest.main()
